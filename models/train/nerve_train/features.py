"""Feature encoding, written down once here and mirrored by lambdas/engine/encode.ts.

The manifest records the scheme name (`FEATURE_SCHEME`); the TypeScript engine refuses
a model whose scheme it does not implement. Any change here needs a new scheme name.
"""
from __future__ import annotations

import re

FEATURE_SCHEME = "nerve-words-chars-casing/1"
PAD, UNK = 0, 1
MAX_CHARS = 24  # longer tokens keep their first 12 and last 12 code points

CASING = ["pad", "numeric", "mostly_numeric", "lower", "upper", "title", "has_digit", "other"]
_DIGIT = re.compile(r"[0-9]")


def normalize_word(token: str) -> str:
    """Word-vocabulary key: lower case, every ASCII digit mapped to 0."""
    return _DIGIT.sub("0", token.lower())


def _is_upper(ch: str) -> bool:
    return ch != ch.lower()


def _is_lower(ch: str) -> bool:
    return ch != ch.upper()


def casing_of(token: str) -> int:
    digits = sum(1 for c in token if "0" <= c <= "9")
    n = len(token)
    if n > 0 and digits == n:
        return CASING.index("numeric")
    if n > 0 and digits / n > 0.5:
        return CASING.index("mostly_numeric")
    if any(_is_lower(c) for c in token) and not any(_is_upper(c) for c in token):
        return CASING.index("lower")
    if any(_is_upper(c) for c in token) and not any(_is_lower(c) for c in token):
        return CASING.index("upper")
    if _is_upper(token[0]) and not any(_is_upper(c) for c in token[1:]):
        return CASING.index("title")
    if digits > 0:
        return CASING.index("has_digit")
    return CASING.index("other")


def clip_chars(token: str) -> list[str]:
    chars = list(token)  # Python iterates code points, as the engine does
    if len(chars) > MAX_CHARS:
        half = MAX_CHARS // 2
        chars = chars[:half] + chars[-half:]
    return chars
