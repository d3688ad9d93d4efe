"""Readers for CoNLL-style BIO/IOB files, tolerant of every quirk of the datasets in docs/datasets.md.

Quirks handled (see each dataset's README):
- columns separated by spaces or tabs; the token is the first column, the tag the last;
- any whitespace-only line (WNUT-17 uses a lone TAB) is a sentence break;
- `-DOCSTART-` lines are document breaks, not sentences;
- a byte-order mark at the start of the file or glued to a token (WNUT-17 dev);
- no newline after the last line (MIT Restaurant);
- IOB1 input (an `I-` that opens an entity) is rewritten to IOB2, so every entity
  starts with `B-`; IO input is handled by the same rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BOM = "\ufeff"


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]


@dataclass
class Document:
    sentences: list[Sentence] = field(default_factory=list)


def to_iob2(tags: list[str]) -> list[str]:
    """Rewrite IOB1/IO tags as IOB2: an I-X that does not continue an X entity opens one."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag.startswith("I-"):
            kind = tag[2:]
            if prev == "O" or prev[2:] != kind:
                tag = "B-" + kind
        elif not (tag == "O" or tag.startswith("B-")):
            raise ValueError(f"unknown tag {tag!r}: expected O, B-TYPE or I-TYPE")
        out.append(tag)
        prev = tag
    return out


def read_conll(path: str | Path) -> list[Document]:
    """Read a CoNLL-format file into documents of sentences (IOB2 tags)."""
    text = Path(path).read_text(encoding="utf-8")
    docs: list[Document] = [Document()]
    tokens: list[str] = []
    tags: list[str] = []

    def close_sentence() -> None:
        if tokens:
            docs[-1].sentences.append(Sentence(list(tokens), to_iob2(list(tags))))
            tokens.clear()
            tags.clear()

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace(BOM, "")
        if not line.strip():
            close_sentence()
            continue
        cols = line.split()
        if cols[0] == "-DOCSTART-":
            close_sentence()
            if docs[-1].sentences:
                docs.append(Document())
            continue
        if len(cols) < 2:
            raise ValueError(f"{path}:{line_no}: expected 'TOKEN ... TAG', got {raw!r}")
        tokens.append(cols[0])
        tags.append(cols[-1])
    close_sentence()
    return [d for d in docs if d.sentences]


def sentences(docs: list[Document]) -> list[Sentence]:
    return [s for d in docs for s in d.sentences]


def labels_of(sents: list[Sentence]) -> list[str]:
    """O first, then B-/I- pairs for each type in sorted order (stable across runs)."""
    kinds = sorted({t[2:] for s in sents for t in s.tags if t != "O"})
    return ["O"] + [f"{p}-{k}" for k in kinds for p in ("B", "I")]
