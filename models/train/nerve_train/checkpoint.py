"""A trained model as plain arrays (checkpoint.npz) and JSON (checkpoint.json), and the
step that turns it into a model folder.

The checkpoint is what crosses machines: a model trained on a GPU with a newer PyTorch
is exported here, by the same exporter (torch 1.13, opset 17) as every other model:

    python3 -m nerve_train.checkpoint DIR     # writes DIR/model.onnx, manifest.json, parity.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from .encode import Vocab
from .export import export_onnx, write_manifest, write_parity
from .features import CASING
from .model import CRF, Tagger

HYPERPARAMETERS = ("seed", "epochs", "batch", "lr", "hidden", "layers", "word_dim", "char_filters", "char_width",
                   "max_words", "dropout", "lowercase_prob", "pretrain_epochs", "encoder", "iterations")
# The ones a checkpoint fixes: a run that goes on from one (train.py --init) takes them from it.
ARCHITECTURE = ("hidden", "layers", "word_dim", "char_filters", "char_width", "max_words", "dropout",
                "pretrain_epochs", "encoder", "iterations")


def save_checkpoint(out: Path, tagger: Tagger, crf: CRF, meta: dict) -> None:
    arrays = {f"tagger.{k}": v.detach().cpu().numpy() for k, v in tagger.state_dict().items()}
    arrays.update({f"crf.{k}": v.detach().cpu().numpy() for k, v in crf.state_dict().items()})
    np.savez(out / "checkpoint.npz", **arrays)
    (out / "checkpoint.json").write_text(json.dumps(meta, ensure_ascii=False) + "\n")


def load_checkpoint(out: Path):
    meta = json.loads((out / "checkpoint.json").read_text())
    arrays = np.load(out / "checkpoint.npz")
    vocab = Vocab(meta["words"], meta["chars"])
    h = meta["hyper"]
    tagger = Tagger(len(vocab.words), len(vocab.chars), len(CASING), len(meta["labels"]), word_dim=h["word_dim"],
                    hidden=h["hidden"], dropout=h["dropout"], layers=h.get("layers", 1),
                    char_filters=h.get("char_filters", 50), char_width=h.get("char_width", 3),
                    encoder=h.get("encoder", "bilstm"), iterations=h.get("iterations", 3))
    crf = CRF(meta["labels"])
    tagger.load_state_dict({k[7:]: torch.from_numpy(arrays[k]) for k in arrays.files if k.startswith("tagger.")})
    crf.load_state_dict({k[4:]: torch.from_numpy(arrays[k]) for k in arrays.files if k.startswith("crf.")})
    return tagger, crf, vocab, meta


def finish(out: Path) -> None:
    """Export the checkpoint in `out` to ONNX and write the parity file and the manifest."""
    tagger, crf, vocab, meta = load_checkpoint(out)
    tagger.eval()
    export_onnx(tagger, vocab, out / "model.onnx")
    write_parity(tagger, vocab, meta["paritySentences"], out / "parity.json")
    write_manifest(out, name=meta["name"], version=meta["version"], labels=meta["labels"], vocab=vocab, crf=crf,
                   hyper=meta["hyper"], training=meta["training"], metrics=meta["metrics"])


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        finish(Path(folder))
        print(f"exported {folder}")
