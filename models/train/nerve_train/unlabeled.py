"""Unlabeled text for pretraining word vectors, from either kind of source the datasets hold.

A Reuters-21578 folder (its `reut2-*.sgm` files) gives each story's title and body; a
JSON-lines file of articles (`slate/articles.jsonl`, or the folder that holds it) gives
each line's `text`. Both come out as CoNLL-like tokens, one list per story.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from . import reuters


def stories(source: str | Path) -> Iterator[list[str]]:
    path = Path(source)
    if path.is_dir() and any(path.glob("reut2-*.sgm")):
        for _, title, body in reuters.stories(path):
            yield reuters.tokenize(title + "\n" + body)
        return
    lines = path / "articles.jsonl" if path.is_dir() else path
    if lines.suffix != ".jsonl" or not lines.is_file():
        raise SystemExit(f"--pretrain {source}: neither a Reuters-21578 folder nor a JSON-lines file of articles")
    with open(lines, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                text = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError):
                raise SystemExit(f"{lines}:{n}: not a JSON line with a text") from None
            yield reuters.tokenize(text)


def describe(source: str | Path) -> str:
    """The source's dataset name for the manifest (the folder it lies in for a file)."""
    path = Path(source).resolve()
    return path.name if path.is_dir() else path.parent.name
