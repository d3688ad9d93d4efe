"""Write a model folder: model.onnx, manifest.json, parity.json and the model card."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
import torch

from .encode import Vocab, batch_tensors
from .features import CASING, FEATURE_SCHEME, MAX_CHARS

INPUTS = ["word_ids", "char_ids", "casing_ids", "lengths"]


def export_onnx(tagger, vocab: Vocab, path: Path) -> None:
    tagger.eval()
    sample = batch_tensors([vocab.encode(["Nerve", "tags", "Paris", "."]), vocab.encode(["Hi"])])
    torch.onnx.export(
        tagger, sample, str(path), opset_version=17, input_names=INPUTS, output_names=["emissions"],
        dynamic_axes={"word_ids": {0: "batch", 1: "tokens"}, "char_ids": {0: "batch", 1: "tokens", 2: "chars"},
                      "casing_ids": {0: "batch", 1: "tokens"}, "lengths": {0: "batch"},
                      "emissions": {0: "batch", 1: "tokens"}},
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(str(path)))


def write_parity(tagger, vocab: Vocab, sentences: list[list[str]], path: Path) -> None:
    """Emissions PyTorch computes for a few sentences, batched with padding as the engine does.

    The TypeScript tests encode the same tokens and compare ONNX Runtime's output with
    these within 1e-4, so the encoder, the export and the runtime cannot drift apart.
    """
    tagger.eval()
    with torch.no_grad():
        enc = [vocab.encode(s) for s in sentences]
        em = tagger(*batch_tensors(enc))
        # The engine pads batches differently (by length): a sentence alone must score as in the padded batch.
        for i, e in enumerate(enc):
            alone = tagger(*batch_tensors([e]))[0]
            drift = float((alone - em[i, : alone.shape[0]]).abs().max())
            if drift > 1e-5:
                raise RuntimeError(f"emissions depend on padding (sentence {i} differs by {drift:.2e} alone): the encoder must mask it")
    rows = [{"tokens": s, "emissions": [[round(float(v), 6) for v in em[i, j]] for j in range(len(s))]}
            for i, s in enumerate(sentences)]
    path.write_text(json.dumps({"tolerance": 1e-4, "sentences": rows}, ensure_ascii=False) + "\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(out: Path, *, name: str, version: str, labels: list[str], vocab: Vocab, crf,
                   hyper: dict, training: dict, metrics: dict) -> dict:
    trans, start, end = crf.trans.detach(), crf.start.detach(), crf.end.detach()
    manifest = {
        "name": name,
        "version": version,
        "format": "nerve-model/1",
        "file": "model.onnx",
        "sha256": sha256(out / "model.onnx"),
        "labels": labels,
        "tagScheme": "IOB2",
        "decoder": {
            "kind": "crf",
            "transitions": [[round(float(v), 6) for v in row] for row in trans],
            "start": [round(float(v), 6) for v in start],
            "end": [round(float(v), 6) for v in end],
            "note": "transitions[i][j] scores label i followed by label j; the engine forbids invalid BIO moves",
        },
        "inputs": {
            "names": INPUTS,
            "featureScheme": FEATURE_SCHEME,
            "maxChars": MAX_CHARS,
            "casing": CASING,
            "words": vocab.words,
            "chars": vocab.chars,
            "padId": 0,
            "unkId": 1,
        },
        "outputs": {"emissions": "float32 [batch, tokens, labels], unnormalised CRF emission scores"},
        "hyperparameters": hyper,
        "training": training,
        "metrics": metrics,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return manifest
