"""Stage 2 (``stage = "adapter"``): one LoRA task adapter on the frozen stage-1 model, then its folder.

The output ``OUTPUT/model`` is the base folder with ``adapters/<task>/`` added (adapters it already
had are kept) and ``taskembed.json`` listing the adapter's tasks, so training one task after another
on the previous output collects every adapter in one model.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from taskembed import __version__
from taskembed.errors import InputError
from taskembed.evaluate.sweep import Prompts
from taskembed.models.files import read_json
from taskembed.models.formats.jina_v5 import document_task
from taskembed.models.formats.taskembed_folder import is_taskembed_folder, load_taskembed_folder
from taskembed.models.load import load_model
from taskembed.models.loaded import LoadedModel
from taskembed.models.manifest import MANIFEST_FILE, Manifest
from taskembed.models.resolve import resolve
from taskembed.train.adapter_step import AdapterStep, TaskObjective, adapter_forward
from taskembed.train.checkpoint import complete_checkpoints
from taskembed.train.config import TrainConfig
from taskembed.train.distributed import World
from taskembed.train.lora import average_trainable, save_adapter, wrap_with_lora
from taskembed.train.losses import EmbeddingDistillationLoss, MatryoshkaLoss
from taskembed.train.output import PROJECTION_DIR, publish_folder, write_manifest
from taskembed.train.recipes import Recipe, recipe_for
from taskembed.train.run import Run, TeacherRole, assemble_loop, fill_teacher_caches, prepare_output
from taskembed.train.sources import Source, read_sources
from taskembed.train.student import backbone_model
from taskembed.train.task_data import shape_sources
from taskembed.train.trainer import load_best

ADAPTERS_DIR = "adapters"


def load_base(reference: str) -> LoadedModel:
    """The model the adapter is trained on, without any adapters it already has (they are not trained)."""
    folder = resolve(reference).path
    if is_taskembed_folder(folder):
        return load_taskembed_folder(folder, folder.name, with_adapters=False)
    model = load_model(reference)
    if model.task_adapters:
        raise InputError(
            f"student.model {reference} has task adapters of its own family; train adapters on a plain "
            "backbone or a taskembed folder"
        )
    return model


def projection_loss(base: LoadedModel, teacher_dim: int, trainable: bool) -> EmbeddingDistillationLoss:
    """Stage 1's student -> teacher projection from ``projection/``, or the identity for equal widths."""
    width = base.info.dimension
    saved = Path(base.info.path) / PROJECTION_DIR / "model.safetensors"
    if saved.is_file():
        weight = load_file(str(saved))["weight"]
        if tuple(weight.shape) != (teacher_dim, width):
            raise InputError(
                f"{saved} maps {weight.shape[1]} -> {weight.shape[0]} dims, but the student has {width} and "
                f"the teacher {teacher_dim}; use the teacher of stage 1"
            )
        loss = EmbeddingDistillationLoss(width, teacher_dim)
        with torch.no_grad():
            loss.projection.weight.copy_(weight)
    elif width == teacher_dim:
        loss = EmbeddingDistillationLoss(width, teacher_dim, identity_init=True)
    else:
        raise InputError(
            f"the student ({width} dims) has no {PROJECTION_DIR}/ and the teacher has {teacher_dim} dims; "
            "start from a stage-1 output (it holds the projection)"
        )
    loss.projection.weight.requires_grad_(trainable)
    return loss


def _teacher_roles(config: TrainConfig, recipe: Recipe, sources: list[Source]) -> dict[str, TeacherRole]:
    teacher = config.teacher
    document_prompt = teacher.prompt if teacher.prompt is not None else recipe.teacher_prompt
    firsts = [row[0] for source in sources for row in source.rows]
    others = [text for source in sources for row in source.rows for text in row[1:]]
    if recipe.task != "retrieval":
        return {"documents": TeacherRole(teacher.task, document_prompt, firsts + others)}
    query_task = teacher.query_task or teacher.task
    query_prompt = teacher.query_prompt if teacher.query_prompt is not None else document_prompt
    return {
        "first": TeacherRole(query_task, query_prompt, firsts),
        "documents": TeacherRole(teacher.task, document_prompt, others),
    }


def training_view(base: LoadedModel, recipe: Recipe) -> LoadedModel:
    """The model as evaluated while training: the adapter is always on, its tasks give the prompts."""
    main = "retrieval.passage" if recipe.task == "retrieval" else recipe.task
    info = replace(
        base.info, tasks=tuple(recipe.api_tasks), prompts=dict(recipe.api_tasks), default_task=main
    )
    return replace(base, info=info)


def eval_setup(recipe: Recipe) -> Prompts:
    """The adapter's tasks for the evaluation sides (retrieval queries get the query task)."""
    if recipe.task == "retrieval":
        return Prompts(task=document_task(recipe.task), query_task="retrieval.query")
    return Prompts(task=recipe.task)


def build_adapter_run(config: TrainConfig, world: World, *, resume: bool, overwrite: bool) -> Run:
    """Data shaped for the task, teacher caches, the peft-wrapped base, the recipe's objective, optimizer."""
    assert config.adapter is not None and config.student.model is not None
    latest = prepare_output(config, world, resume=resume, overwrite=overwrite)
    recipe = recipe_for(config.adapter)
    sources = shape_sources(read_sources(config.data), recipe, config.adapter, config.seed)
    base = load_base(config.student.model)
    for parameter in base.backbone.parameters():
        parameter.requires_grad_(False)
    for head in base.heads:
        head.requires_grad_(False)
    hf_model = backbone_model(base)
    torch.manual_seed(config.seed)  # LoRA A's random init: the same in every process and every run
    base.backbone.model = wrap_with_lora(hf_model, config.adapter)
    distill = None
    teachers = {}
    if recipe.weight("distill"):
        teachers = fill_teacher_caches(config, _teacher_roles(config, recipe, sources), world)
        teacher_dim = next(iter(teachers.values())).dimension
        distill = projection_loss(base, teacher_dim, config.adapter.train_projection)
    objective: nn.Module = TaskObjective(
        recipe,
        distill,
        config.adapter.temperature,
        config.adapter.learn_temperature,
        config.adapter.cosent_temperature,
    )
    if config.distill.dimensions:
        objective = MatryoshkaLoss(objective, config.distill.dimensions, config.distill.dimension_weights)
    parts = assemble_loop(
        config,
        world,
        AdapterStep(base, objective, recipe, teachers, world),
        student=base,
        projection=distill,
        sources=sources,
        forward=adapter_forward,
        view=training_view(base, recipe),
        latest=latest,
        eval_setup=eval_setup(recipe),
        find_unused_parameters=True,  # a batch may leave a loss (and its parameters) out, e.g. CoSENT
    )
    return Run(parts, base, distill, sources, recipe)


def _final_weights(run: Run, config: TrainConfig) -> None:
    """The mean of the last checkpoints when asked for, else the best evaluated (or last) weights."""
    assert config.adapter is not None
    if config.adapter.average_last > 1:
        folders = complete_checkpoints(config.output / "checkpoints")[-config.adapter.average_last :]
        average_trainable(run.loop.inner, folders)
    else:
        load_best(run.loop)


def _manifest(base_folder: Path, run: Run, config: TrainConfig) -> Manifest:
    """The base folder's manifest (or one from its info) plus the adapter's tasks."""
    assert run.recipe is not None and config.adapter is not None
    base, recipe = run.student, run.recipe
    if is_taskembed_folder(base_folder):
        old = Manifest.read(base_folder)
    else:
        old = Manifest(
            prompts=dict(base.info.prompts),
            default_task=base.info.default_task,
            matryoshka_dimensions=base.info.matryoshka_dimensions,
        )
    prompts = {task: prompt for task, prompt in old.prompts.items() if task not in recipe.api_tasks}
    adapters = {task: path for task, path in old.adapters.items() if task not in recipe.api_tasks}
    for task, prompt in recipe.api_tasks.items():
        prompts[task] = prompt
        adapters[task] = f"{ADAPTERS_DIR}/{recipe.task}"
    progress = run.loop.progress
    history = dict(old.training)
    history.setdefault("adapters", {})[recipe.task] = {
        "stage": "adapter",
        "losses": recipe.weights,
        "teacher": config.teacher.model if recipe.weight("distill") else None,
        "steps": progress.step,
        "best_step": progress.best_step,
        "best_score": progress.best_score,
        "averaged_checkpoints": config.adapter.average_last,
        "taskembed": __version__,
    }
    dims = tuple(sorted({*old.matryoshka_dimensions, *config.distill.dimensions}))
    return Manifest(prompts, adapters, old.default_task, dims, history)


def write_adapter_model(run: Run, config: TrainConfig, destination: Path) -> None:
    """Copy the base folder and add ``adapters/<task>/`` and the updated manifest, atomically."""
    assert config.student.model is not None and run.recipe is not None
    _final_weights(run, config)
    run.loop.inner.eval()
    base_folder = resolve(config.student.model).path
    tmp = destination.with_name(destination.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base_folder, tmp)
    adapter_dir = tmp / ADAPTERS_DIR / run.recipe.task
    shutil.rmtree(adapter_dir, ignore_errors=True)
    save_adapter(backbone_model(run.student), adapter_dir)
    served: dict[str, Any] = {}
    if is_taskembed_folder(base_folder):
        served = read_json(base_folder / MANIFEST_FILE).get("model") or {}
    write_manifest(tmp, _manifest(base_folder, run, config), served)
    publish_folder(tmp, destination)
