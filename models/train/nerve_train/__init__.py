"""Nerve's training pipeline: BIO datasets in, a shipped ONNX model folder out."""
