"""``taskembed train CONFIG``: build the parts from a config, train (or resume), write the model folder."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from taskembed import __version__
from taskembed.backends.onnx_cache import folder_fingerprint
from taskembed.encode.embedder import Embedder
from taskembed.errors import InputError
from taskembed.evaluate.sweep import Prompts
from taskembed.models.load import load_model
from taskembed.models.loaded import LoadedModel
from taskembed.models.manifest import Manifest
from taskembed.options import EncodeOptions
from taskembed.train.checkpoint import latest_checkpoint, load_checkpoint
from taskembed.train.config import TrainConfig, load_config
from taskembed.train.distributed import World, barrier, close_world, init_world
from taskembed.train.evaluation import Evaluator
from taskembed.train.losses import EmbeddingDistillationLoss, MatryoshkaLoss
from taskembed.train.optimizer import build_optimizer
from taskembed.train.output import projection_head, write_model_folder
from taskembed.train.recipes import Recipe
from taskembed.train.sampler import BatchSampler
from taskembed.train.sources import Source, read_sources
from taskembed.train.step import DistillForward, DistillStep, Featurizer, MicroForward, resolve_precision
from taskembed.train.student import backbone_model, build_student
from taskembed.train.teacher_cache import TeacherCache, default_cache_root
from taskembed.train.trainer import LoopParts, load_best, run_loop

MODEL_DIR = "model"


@dataclass(frozen=True)
class TeacherRole:
    """Texts the teacher embeds with one task and prompt (e.g. queries, or documents)."""

    task: str | None
    prompt: str | None
    texts: list[str]


def fill_teacher_caches(
    config: TrainConfig, roles: dict[str, TeacherRole], world: World
) -> dict[str, TeacherCache]:
    """Teacher vectors of every training text per role: computed once (main process), then read from disk."""
    teacher = load_model(config.teacher.model)
    embedder = Embedder(teacher)
    caches = {}
    for name, role in roles.items():
        meta = {
            "model": teacher.info.name,
            "files": folder_fingerprint(Path(teacher.info.path)),
            "task": role.task,
            "prompt": role.prompt,
            "max_tokens": teacher.info.max_tokens,
            "runtime": teacher.runtime.identity,
        }
        root = config.teacher.cache or default_cache_root()
        if world.is_main:
            options = EncodeOptions(
                task=role.task, prompt=role.prompt, batch_tokens=config.teacher.batch_tokens
            ).validated(teacher.info)

            def embed(texts: list[str], options: EncodeOptions = options) -> np.ndarray:
                return next(iter(embedder.embed(texts, options).embeddings.values()))

            TeacherCache(root, meta).fill(role.texts, embed)
        barrier(world)
        caches[name] = TeacherCache(root, meta)
    return caches


def fill_teacher_cache(config: TrainConfig, sources: list[Source], world: World) -> TeacherCache:
    """Stage 1's teacher vectors: every target text with the teacher's task and prompt."""
    texts = [text for source in sources for text in source.all_target_texts()]
    role = TeacherRole(config.teacher.task, config.teacher.prompt, texts)
    return fill_teacher_caches(config, {"documents": role}, world)["documents"]


def _tokenizer_dir(student: LoadedModel, config: TrainConfig) -> Path:
    if config.student.tokenizer is not None:
        from taskembed.models.resolve import resolve

        return resolve(config.student.tokenizer).path
    folder = Path(student.info.path)
    return next((p for p in (folder, folder / "0_Transformer") if (p / "tokenizer.json").is_file()), folder)


def served_view(student: LoadedModel, loss: EmbeddingDistillationLoss, keep_projection: bool) -> LoadedModel:
    """The model as it will be saved: the student, plus the projection as a last head when kept."""
    if not keep_projection:
        return student
    head = projection_head(loss)
    info = replace(student.info, dimension=loss.projection.out_features)
    return replace(student, heads=(*student.heads, head), info=info)


def enable_checkpointing(model: Any) -> None:
    """Recompute activations in the backward pass (transformers 5 renamed the switch and its keyword)."""
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def _prepare_output(output: Path, *, resume: bool, overwrite: bool) -> Path | None:
    """Check the output folder; return the checkpoint to resume from."""
    latest = latest_checkpoint(output / "checkpoints")
    if latest is not None and not resume and not overwrite:
        raise InputError(
            f"{output} already holds a run (last checkpoint {latest.name}); pass --resume to continue it "
            "or --overwrite to start again"
        )
    if overwrite and output.exists() and not resume:
        shutil.rmtree(output)
        latest = None
    output.mkdir(parents=True, exist_ok=True)
    return latest if resume else None


def run_steps(config: TrainConfig, sources: list[Source]) -> int:
    """The run's optimizer steps: ``train.steps``, or epochs over every source's rows."""
    if config.train.steps is not None:
        return config.train.steps
    rows = sum(len(source.rows) for source in sources)
    return max(1, math.ceil(float(config.train.epochs or 1) * rows / config.train.batch_size))


def _check_batch(config: TrainConfig, world: World) -> None:
    if config.train.batch_size % world.size:
        raise InputError(
            f"train.batch_size {config.train.batch_size} is not divisible by the {world.size} processes; "
            "the global batch is split evenly across processes"
        )


@dataclass
class Run:
    """The loop's parts plus what writing the model needs (stage 2 adds its recipe)."""

    loop: LoopParts
    student: LoadedModel
    loss: EmbeddingDistillationLoss | None
    sources: list[Source]
    recipe: Recipe | None = None


def prepare_output(config: TrainConfig, world: World, *, resume: bool, overwrite: bool) -> Path | None:
    """Check the batch split and the output folder; every rank gets the checkpoint to resume from."""
    _check_batch(config, world)
    latest = _prepare_output(config.output, resume=resume, overwrite=overwrite) if world.is_main else None
    barrier(world)
    if not world.is_main and resume:
        latest = latest_checkpoint(config.output / "checkpoints")
    return latest


def assemble_loop(
    config: TrainConfig,
    world: World,
    inner: nn.Module,
    *,
    student: LoadedModel,
    projection: nn.Module | None,
    sources: list[Source],
    forward: MicroForward,
    view: LoadedModel,
    latest: Path | None,
    eval_setup: Prompts | None = None,
    find_unused_parameters: bool = False,
) -> LoopParts:
    """What every stage builds around its step module.

    Gradient checkpointing, the DDP wrapper, optimizer, sampler and evaluator; then the per-rank dropout
    seed and, on resume, the checkpoint's state.
    """
    if config.train.gradient_checkpointing:
        enable_checkpointing(backbone_model(student))
    module: nn.Module = inner
    if world.distributed:
        module = nn.parallel.DistributedDataParallel(inner, find_unused_parameters=find_unused_parameters)
    steps = run_steps(config, sources)
    optimizer, scheduler = build_optimizer(inner, projection, config.train, steps)
    sampler = BatchSampler(sources, config.train.batch_size, config.seed)
    evaluator = None
    if config.eval is not None and world.is_main:
        evaluator = Evaluator.from_config(config.eval, eval_setup)
    parts = LoopParts(
        module=module,
        inner=inner,
        optimizer=optimizer,
        scheduler=scheduler,
        sampler=sampler,
        forward=forward,
        evaluator=evaluator,
        view=view,
        world=world,
        output=config.output,
        steps=steps,
        precision=resolve_precision(config.train.precision),
    )
    torch.manual_seed(config.seed + 7919 * world.rank)  # dropout streams, after any random init
    if latest is not None:
        parts.progress, sampler_state = load_checkpoint(latest, inner, optimizer, scheduler, world)
        sampler.restore(sampler_state)
    return parts


def build_run(config: TrainConfig, world: World, *, resume: bool, overwrite: bool) -> Run:
    """Read data, fill the teacher cache, build student, loss, optimizer and sampler (restored on resume)."""
    latest = prepare_output(config, world, resume=resume, overwrite=overwrite)
    sources = read_sources(config.data)
    teacher = fill_teacher_cache(config, sources, world)
    student = build_student(config.student, config.seed)
    distill = config.distill
    same_width = student.info.dimension == teacher.dimension
    identity = distill.projection_init == "identity" or (distill.projection_init == "auto" and same_width)
    loss = EmbeddingDistillationLoss(student.info.dimension, teacher.dimension, identity_init=identity)
    objective: nn.Module = (
        MatryoshkaLoss(loss, distill.dimensions, distill.dimension_weights) if distill.dimensions else loss
    )
    inner = DistillStep(student, objective)
    parts = assemble_loop(
        config,
        world,
        inner,
        student=student,
        projection=loss,
        sources=sources,
        forward=DistillForward(teacher, Featurizer(student, config.student.prompt)),
        view=served_view(student, loss, distill.keep_projection),
        latest=latest,
    )
    return Run(parts, student, loss, sources)


def _manifest(config: TrainConfig, parts: LoopParts) -> Manifest:
    prompt = config.student.prompt
    info = parts.view.info
    prompts = {"document": prompt} if prompt else dict(info.prompts)
    return Manifest(
        prompts=prompts,
        default_task="document" if prompt else info.default_task,
        matryoshka_dimensions=tuple(d for d in config.distill.dimensions if d <= info.dimension),
        training={
            "stage": config.stage,
            "teacher": config.teacher.model,
            "teacher_task": config.teacher.task,
            "teacher_prompt": config.teacher.prompt,
            "steps": parts.progress.step,
            "tokens": parts.progress.tokens,
            "best_step": parts.progress.best_step,
            "best_score": parts.progress.best_score,
            "taskembed": __version__,
        },
    )


def _calibration_texts(sources: list[Source], count: int, seed: int) -> list[str]:
    texts = sorted({text for source in sources for row in source.rows for text in row})
    if len(texts) <= count:
        return texts
    picks = np.random.default_rng(seed).choice(len(texts), size=count, replace=False)
    return [texts[i] for i in sorted(picks)]


def _write_model(run: Run, config: TrainConfig, destination: Path) -> None:
    """The best (or last) weights as a model folder, with ranges from training texts."""
    assert run.loss is not None
    load_best(run.loop)
    run.loop.inner.eval()
    texts = _calibration_texts(run.sources, config.calibration_texts, config.seed)
    write_model_folder(
        run.loop.view,
        destination,
        tokenizer_dir=_tokenizer_dir(run.student, config),
        manifest=_manifest(config, run.loop),
        loss=run.loss,
        calibration_texts=texts if len(texts) >= 2 else None,
    )


def train(
    config: TrainConfig | str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    stop_after: int | None = None,
) -> Path:
    """Run a training config to the end and return the model folder (``OUTPUT/model``)."""
    config = config if isinstance(config, TrainConfig) else load_config(config)
    world = init_world()
    try:
        if config.stage == "adapter":
            from taskembed.train.adapter_run import build_adapter_run, write_adapter_model

            run = build_adapter_run(config, world, resume=resume, overwrite=overwrite)
        else:
            run = build_run(config, world, resume=resume, overwrite=overwrite)
        eval_every = config.eval.every if config.eval is not None else None
        run_loop(run.loop, config.train, eval_every=eval_every, stop_after=stop_after)
        destination = config.output / MODEL_DIR
        if world.is_main:
            if config.stage == "adapter":
                write_adapter_model(run, config, destination)
            else:
                _write_model(run, config, destination)
    except BaseException:
        close_world(world, finished=False)
        raise
    close_world(world, finished=True)
    return destination
