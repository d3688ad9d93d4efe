"""Entity-level precision/recall/F1 by conlleval's rules, for selection on dev.

The reported figures come from the TypeScript engine (`nerve eval`); this copy only
picks the best epoch, so it needs to agree with conlleval on IOB2 input.
"""
from __future__ import annotations


def spans(tags: list[str]) -> set[tuple[int, int, str]]:
    out, start, kind = set(), None, None
    for i, tag in enumerate(tags + ["O"]):
        boundary = tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != kind)
        if boundary and start is not None:
            out.add((start, i, kind))
            start, kind = None, None
        if tag != "O" and start is None:
            start, kind = i, tag[2:]
    return out


def f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred):
        gs, ps = spans(g), spans(p)
        tp += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    return 100 * 2 * prec * rec / (prec + rec) if prec + rec else 0.0
