"""Train a BiLSTM-CNN-CRF tagger on a BIO dataset and write a Nerve model folder.

    /usr/bin/python3 -m nerve_train.train --data ../../../shared/data/conll2003 --out ../small

Run from models/train/ (or set PYTHONPATH=models/train). See models/README.md; docs/datasets.md
says where to get the datasets.
"""
from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from . import datasets, unlabeled
from .embeddings import train_skipgram
from .encode import batch_tensors, build_vocab
from .checkpoint import ARCHITECTURE, HYPERPARAMETERS, finish, load_checkpoint, save_checkpoint
from .features import CASING, normalize_word
from .metrics import f1
from .model import CRF, Tagger


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with train.txt, dev.txt (optional) and test.txt")
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--name", help="model name (default: the out folder's name)")
    p.add_argument("--version", default=datetime.now(timezone.utc).strftime("%Y.%m.%d"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-budget-min", type=float, default=75.0, help="stop starting epochs after this")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--word-dim", type=int, default=100)
    p.add_argument("--max-words", type=int, default=20000)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--lowercase-prob", type=float, default=0.3, help="case augmentation: share of sentences lower-cased each epoch")
    p.add_argument("--case-copies", action="store_true",
                   help="instead of --lowercase-prob: each sentence drawn is trained cased and lower-cased in the same batch; "
                        "half as many are drawn an epoch, so an epoch costs the same")
    p.add_argument("--pretrain", nargs="+", help="unlabeled text to pretrain word vectors on: Reuters-21578 folders, Slate-style articles.jsonl files (or their folders)")
    p.add_argument("--pretrain-epochs", type=int, default=4)
    p.add_argument("--max-train-sentences", type=int, help="use only the first N training sentences (smoke runs)")
    p.add_argument("--silver", nargs="+", help="CoNLL files of machine-labelled sentences, pooled (distillation, see models/silver.ts)")
    p.add_argument("--silver-ratio", type=float, default=1.0, help="silver sentences drawn per epoch, as a multiple of the gold count")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="carve dev from train when there is no dev.txt")
    p.add_argument("--layers", type=int, default=1, help="stacked BiLSTM layers")
    p.add_argument("--encoder", default="bilstm", choices=["bilstm", "idcnn"],
                   help="bilstm, or idcnn: iterated dilated convolutions with --hidden filters (an ensemble member that errs differently)")
    p.add_argument("--iterations", type=int, default=3, help="idcnn: times its dilated block is applied")
    p.add_argument("--char-filters", type=int, default=50)
    p.add_argument("--char-width", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda where PyTorch has it (same code, same seeds; not bit-identical)")
    p.add_argument("--init", help="go on training a model folder's checkpoint (its vocabulary, shape and word vectors; "
                                  "--pretrain and the shape's options are then ignored): more epochs, new silver, a fresh schedule")
    p.add_argument("--no-export", action="store_true", help="write only the checkpoint; export later with nerve_train.checkpoint")
    return p.parse_args(argv)


def lower_sentence(tokens: list[str]) -> list[str]:
    return [t.lower() for t in tokens]


def load_splits(args):
    folder = Path(args.data)
    train = datasets.sentences(datasets.read_conll(folder / "train.txt"))
    if args.max_train_sentences:
        train = train[: args.max_train_sentences]
    dev_path = folder / "dev.txt"
    if dev_path.exists():
        dev = datasets.sentences(datasets.read_conll(dev_path))
        dev_source = "dev.txt"
    else:
        # A fixed, seeded carve-out: every run of the same seed selects on the same sentences.
        order = list(range(len(train)))
        random.Random(args.seed).shuffle(order)
        n_dev = max(1, int(len(train) * args.dev_fraction))
        dev_idx = set(order[:n_dev])
        dev = [s for i, s in enumerate(train) if i in dev_idx]
        train = [s for i, s in enumerate(train) if i not in dev_idx]
        dev_source = f"{args.dev_fraction:.0%} of train.txt, seed {args.seed}"
    return train, dev, dev_source


def predict(tagger, crf, vocab, sents, labels, batch=256, device="cpu"):
    tagger.eval()
    out: list = [None] * len(sents)
    order = sorted(range(len(sents)), key=lambda i: len(sents[i]))  # batches of similar length
    with torch.no_grad():
        for k in range(0, len(order), batch):
            idx = order[k:k + batch]
            chunk = [sents[i] for i in idx]
            em = tagger(*[t.to(device) for t in batch_tensors([vocab.encode(s) for s in chunk])]).cpu()
            for i, path in zip(idx, crf.decode(em, [len(s) for s in chunk])):
                out[i] = [labels[j] for j in path]
    return out


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    started = time.time()
    log = lambda msg: print(f"[{time.time() - started:7.1f}s] {msg}", flush=True)

    train, dev, dev_source = load_splits(args)
    labels = datasets.labels_of(train)
    label_index = {l: i for i, l in enumerate(labels)}
    log(f"{len(train)} train / {len(dev)} dev sentences; labels {labels}")

    parent = None
    pretrain_sents: list[list[str]] = []
    extra = None
    if args.init:
        tagger, crf, vocab, parent = load_checkpoint(Path(args.init))
        if parent["labels"] != labels:
            raise SystemExit(f"{args.init} has labels {parent['labels']}, the data {labels}")
        for k in ARCHITECTURE:  # what the run records is the shape it trains
            if k in parent["hyper"]:
                setattr(args, k, parent["hyper"][k])
        log(f"initialized from {args.init} ({parent['name']}, best epoch {parent['training']['bestEpoch']})")
    elif args.pretrain:
        for source in args.pretrain:
            pretrain_sents.extend(unlabeled.stories(source))
        extra = Counter(normalize_word(t) for s in pretrain_sents for t in s)
        log(f"pretraining text: {len(pretrain_sents)} stories, {sum(extra.values()):,} tokens")
    if parent is None:
        vocab = build_vocab([s.tokens for s in train], extra, args.max_words)
        tagger = Tagger(len(vocab.words), len(vocab.chars), len(CASING), len(labels),
                        word_dim=args.word_dim, hidden=args.hidden, dropout=args.dropout,
                        layers=args.layers, char_filters=args.char_filters, char_width=args.char_width,
                        encoder=args.encoder, iterations=args.iterations)
        crf = CRF(labels)
    log(f"vocab: {len(vocab.words)} words, {len(vocab.chars)} chars")
    if pretrain_sents:
        corpus = [[vocab.word_index.get(normalize_word(t), 1) for t in s] for s in pretrain_sents + [s.tokens for s in train]]
        vectors = train_skipgram(corpus, len(vocab.words), args.word_dim, epochs=args.pretrain_epochs, seed=args.seed, log=log, device=args.device)
        v = torch.from_numpy(vectors)
        v = v / (v[2:].std() + 1e-8) * 0.1  # same scale as the random init the rest of the net expects
        with torch.no_grad():
            tagger.words.weight[2:] = v[2:]

    gold_count = len(train)
    silver = []
    if args.silver:
        silver = [s for path in args.silver for s in datasets.sentences(datasets.read_conll(path)) if all(t in label_index for t in s.tags)]
        log(f"silver: {len(silver)} sentences from {args.silver}, {int(args.silver_ratio * gold_count)} drawn per epoch")
    train_counts = Counter(normalize_word(t) for s in train for t in s.tokens)
    pool = train + silver  # indices >= gold_count are silver
    cased = [vocab.encode(s.tokens) for s in pool]
    lowered = [vocab.encode(lower_sentence(s.tokens)) for s in pool]
    singleton = [[train_counts[normalize_word(t)] == 1 for t in s.tokens] for s in pool]
    gold = [torch.tensor([label_index[t] for t in s.tags]) for s in pool]

    device = torch.device(args.device)
    tagger.to(device)
    crf.to(device)
    params = list(tagger.parameters()) + list(crf.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    per_epoch = gold_count + (int(args.silver_ratio * gold_count) if silver else 0)
    total_steps = args.epochs * ((per_epoch + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.05, 1 - step / total_steps))
    rng = random.Random(args.seed)

    dev_tokens = [s.tokens for s in dev]
    dev_gold = [s.tags for s in dev]
    best = (-1.0, None, None, 0)
    history = []
    for epoch in range(1, args.epochs + 1):
        if (time.time() - started) / 60 > args.time_budget_min:
            log(f"time budget of {args.time_budget_min} min reached; stopping before epoch {epoch}")
            break
        tagger.train()
        order = list(range(gold_count))
        if silver:
            order += rng.sample(range(gold_count, len(pool)), min(len(silver), int(args.silver_ratio * gold_count)))
        rng.shuffle(order)
        if args.case_copies:
            # Half of them, each twice (cased, then lower-cased): as many rows an epoch as without.
            order = [i for i in order[: len(order) // 2] for _ in (0, 1)]
        # Sort within chunks of 50 batches: little padding, still random batches.
        chunk = args.batch * 50
        order = [i for k in range(0, len(order), chunk) for i in sorted(order[k:k + chunk], key=lambda j: len(pool[j].tokens))]
        batches = [order[k:k + args.batch] for k in range(0, len(order), args.batch)]
        rng.shuffle(batches)
        t0, loss_sum = time.time(), 0.0
        for b in batches:
            enc = []
            for n, i in enumerate(b):
                # With copies a sentence's two rows are adjacent (the sort is stable): the second is lower-cased.
                lower = (n > 0 and b[n - 1] == i) if args.case_copies else rng.random() < args.lowercase_prob
                w, c, k = lowered[i] if lower else cased[i]
                # Word dropout on singletons teaches the net what to do with unknown words.
                w = [1 if singleton[i][j] and rng.random() < 0.5 else x for j, x in enumerate(w)]
                enc.append((w, c, k))
            inputs = [t.to(device) for t in batch_tensors(enc)]
            tags = torch.nn.utils.rnn.pad_sequence([gold[i] for i in b], batch_first=True).to(device)
            mask = inputs[0] != 0
            mask[:, 0] = True
            loss = crf.nll(tagger(*inputs), tags, mask)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(b)
        crf_cpu = CRF(labels)
        crf_cpu.load_state_dict({k: v.cpu() for k, v in crf.state_dict().items()})
        dev_f1 = f1(dev_gold, predict(tagger, crf_cpu, vocab, dev_tokens, labels, device=device))
        dev_f1_lower = f1(dev_gold, predict(tagger, crf_cpu, vocab, [lower_sentence(s) for s in dev_tokens], labels, device=device))
        score = (dev_f1 + dev_f1_lower) / 2
        history.append({"epoch": epoch, "loss": round(loss_sum / len(order), 4), "devF1": round(dev_f1, 2), "devF1Lower": round(dev_f1_lower, 2)})
        log(f"epoch {epoch}: loss {loss_sum / len(order):.4f} dev F1 {dev_f1:.2f} lower {dev_f1_lower:.2f} ({time.time() - t0:.0f}s)")
        if score > best[0]:
            best = (score, {k: v.detach().cpu().clone() for k, v in tagger.state_dict().items()},
                    {k: v.detach().cpu().clone() for k, v in crf.state_dict().items()}, epoch)

    # Export from the CPU whatever trained it: the shipped graph is the same either way.
    tagger.to("cpu")
    crf.to("cpu")
    tagger.load_state_dict(best[1])
    crf.load_state_dict(best[2])
    best_epoch = best[3]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = history[best_epoch - 1]
    minutes = (time.time() - started) / 60
    hyper = {k: getattr(args, k) for k in HYPERPARAMETERS}
    if silver:
        hyper["silver_ratio"] = args.silver_ratio
    if args.encoder == "bilstm":
        del hyper["iterations"]
    if args.case_copies:
        hyper["case_copies"] = True
        del hyper["lowercase_prob"]
    training = {
        "data": str(Path(args.data).name),
        "train": f"train.txt ({len(train)} sentences)" + (f" + silver {' + '.join(Path(p).name for p in args.silver)} ({len(silver)} sentences, {args.silver_ratio}x gold per epoch)" if silver else ""),
        "dev": dev_source,
        "selection": "epoch with the best mean of dev F1 cased and lower-cased",
        "pretraining": parent["training"].get("pretraining") if parent else "skip-gram on " + " + ".join(unlabeled.describe(p) for p in args.pretrain) if args.pretrain else None,
        "seed": args.seed,
        "bestEpoch": best_epoch,
        "minutes": round(minutes, 1),
        "machine": f"{platform.machine()}, {args.threads} threads, torch {torch.__version__}, device {args.device}" + (f" ({torch.cuda.get_device_name(0)})" if args.device.startswith("cuda") else ""),
        "command": "python3 -m nerve_train.train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "history": history,
    }
    if parent:
        training["initializedFrom"] = {k: parent["training"].get(k) for k in ("seed", "bestEpoch", "minutes", "command", "train")} | {"name": parent["name"]}
    meta = {
        "name": args.name or out.resolve().name, "version": args.version, "labels": labels,
        "words": vocab.words[2:], "chars": vocab.chars[2:], "hyper": hyper, "training": training,
        "metrics": {"pytorchDev": {"f1": chosen["devF1"], "f1Lower": chosen["devF1Lower"]}},
        "paritySentences": dev_tokens[:3] + [lower_sentence(dev_tokens[0])],
    }
    save_checkpoint(out, tagger, crf, meta)
    if not args.no_export:
        finish(out)
    log(f"wrote {out} (best epoch {best_epoch}, dev F1 {chosen['devF1']} / lower {chosen['devF1Lower']}) in {minutes:.1f} min")


if __name__ == "__main__":
    main()
