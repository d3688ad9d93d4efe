"""Reuters-21578 stories (SGML, Latin-1) as plain text, for pretraining embeddings."""
from __future__ import annotations

import html
import re
from pathlib import Path

_STORY = re.compile(r"<REUTERS[^>]*NEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
# Control characters (&#3; ends each body, &#5; &#22; &#127; appear in datelines).
_CONTROL = re.compile(r"&#(\d+);")


def _clean(s: str) -> str:
    s = _CONTROL.sub(lambda m: " " if int(m.group(1)) < 32 or int(m.group(1)) == 127 else m.group(0), s)
    return html.unescape(s).replace("\x7f", " ").strip()


def stories(folder: str | Path):
    """Yield (newid, title, body) for every story with a body."""
    for path in sorted(Path(folder).glob("reut2-*.sgm")):
        text = path.read_text(encoding="latin-1")
        for m in _STORY.finditer(text):
            body = _BODY.search(m.group(2))
            if not body:
                continue
            title = _TITLE.search(m.group(2))
            yield int(m.group(1)), _clean(title.group(1)) if title else "", _clean(body.group(1))


# CoNLL-like tokens: words with inner apostrophes/hyphens/periods, numbers, 's, single symbols.
_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|'s\b|[0-9]+(?:[.,][0-9]+)*|\w+(?:[-'][\w]+)*|\S")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)
