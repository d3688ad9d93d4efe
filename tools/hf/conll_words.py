"""CoNLL sentences and their first-sub-token labels, as Nerve's engine reads words: what
make-fixtures.py and models/transformer/finetune.py both train on."""
from pathlib import Path


def conll_sentences(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of a CoNLL file (first column the word, last the tag; -DOCSTART- and blank lines break), tags in IOB2."""
    sentences, words, tags = [], [], []
    for line in path.read_text(encoding='utf-8-sig').splitlines() + ['']:
        cols = line.split()
        if not cols or cols[0] == '-DOCSTART-':
            if words:
                sentences.append((words, iob2(tags)))
            words, tags = [], []
        else:
            words.append(cols[0])
            tags.append(cols[-1])
    return sentences


def iob2(tags: list[str]) -> list[str]:
    """IOB1 (an I- that begins an entity) rewritten as IOB2; IOB2 unchanged."""
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith('I-') and (i == 0 or out[-1] == 'O' or out[-1][2:] != tag[2:]):
            tag = 'B-' + tag[2:]
        out.append(tag)
    return out


def first_subtoken_labels(tokenizer, words: list[str], tags: list[str], label_id: dict[str, int], max_length: int | None = None):
    """The words joined by spaces (as the engine reads them) and tokenized: input ids, each
    word's label on its first sub-token (-100 elsewhere), and those sub-tokens' positions."""
    text, starts = '', []
    for w in words:
        starts.append(len(text) + (1 if text else 0))
        text = f'{text} {w}' if text else w
    enc = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True, return_special_tokens_mask=True)
    labels, firsts, seen, w = [], [], set(), 0
    for t, ((s, e), special) in enumerate(zip(enc['offset_mapping'], enc['special_tokens_mask'])):
        while w + 1 < len(starts) and starts[w + 1] <= s:
            w += 1
        if not special and e > s and w not in seen:
            seen.add(w)
            labels.append(label_id[tags[w]])
            firsts.append(t)
        else:
            labels.append(-100)
    return enc['input_ids'], labels, firsts
