"""Engines that run a model's backbone: torch (fp32, bf16 autocast) and ONNX Runtime (fp32, int8)."""
