"""spaCy's side of `npm run bench:peers`: bench/peers.ts runs it from bench/peers/.venv.

    python spacy_peers.py train --train T --dev D --out DIR [--max-steps N] [--max-epochs N]
    python spacy_peers.py predict --model NAME_OR_DIR --tokens F --out F [--repeats N]

It reads and writes only what bench/peers.ts hands it, one token a line and a blank line
between sentences: "TOKEN TAG" for train and dev, "TOKEN" to predict. bench/peers.ts wrote
them with the repository's CoNLL reader (tools/conll.ts), so -DOCSTART- lines, sentence
breaks and tokens are the ones every other row sees. One Doc per sentence, built from
those tokens: spaCy's tokenizer never runs, as a different tokenization could not be
scored against the gold tags token by token.

predict writes "TOKEN TAG" lines in IOB2 with the model's own labels (OntoNotes' for
en_core_web_sm); bench/peers/labels.ts maps them to CoNLL's and tools/conlleval.ts scores
them, as it scores every row. Its timing (seconds of each repetition) goes to stdout as
one JSON line.

Threads come from the environment bench/peers.ts sets (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
MKL_NUM_THREADS, BLIS_NUM_THREADS): spaCy's CPU models run on thinc's NumPy and blis ops.
"""

import argparse
import json
import sys
import time
from pathlib import Path


def read_sentences(path: Path, with_tags: bool):
    """Sentences as (tokens, tags) from bench/peers.ts's files; tags None without them."""
    sentences, tokens, tags = [], [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags if with_tags else None))
            tokens, tags = [], []
            continue
        cols = line.split(" ")
        tokens.append(cols[0])
        if with_tags:
            tags.append(cols[1])
    if tokens:
        sentences.append((tokens, tags if with_tags else None))
    return sentences


def to_docbin(path: Path, out: Path) -> int:
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("en").vocab
    docs = DocBin()
    sentences = read_sentences(path, with_tags=True)
    for tokens, tags in sentences:
        # Doc accepts IOB2 entity tags as they stand ("B-PER", "I-PER", "O").
        docs.add(Doc(vocab, words=tokens, ents=tags))
    docs.to_disk(out)
    return len(sentences)


def train(args) -> None:
    import spacy
    from spacy.cli.init_config import init_config
    from spacy.cli.train import train as spacy_train

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {
        "train": to_docbin(Path(args.train), out / "train.spacy"),
        "dev": to_docbin(Path(args.dev), out / "dev.spacy"),
    }
    # `spacy init config --lang en --pipeline ner --optimize efficiency` (CPU is its
    # default): spaCy's default CPU NER, no static vectors. Only the step bound changes.
    config = init_config(lang="en", pipeline=["ner"], optimize="efficiency", gpu=False)
    config.to_disk(out / "config.cfg")
    overrides = {
        "paths.train": str(out / "train.spacy"),
        "paths.dev": str(out / "dev.spacy"),
        "training.max_steps": args.max_steps,
        "training.max_epochs": args.max_epochs,
    }
    t0, cpu0 = time.time(), time.process_time()
    # Writes model-last and model-best: the best on dev by ents_f, checked every
    # eval_frequency steps, which predict uses.
    spacy_train(out / "config.cfg", out / "model", overrides=overrides)
    seconds, cpu_seconds = time.time() - t0, time.process_time() - cpu0
    best = json.loads((out / "model" / "model-best" / "meta.json").read_text())
    training = config.interpolate()["training"]
    info = {
        "spacy": spacy.__version__,
        "config": "spacy init config --lang en --pipeline ner --optimize efficiency (CPU)",
        "overrides": {k: v for k, v in overrides.items() if not k.startswith("paths.")},
        "defaults": {k: training[k] for k in ["patience", "eval_frequency", "dropout", "seed"]},
        "sentences": counts,
        "seconds": round(seconds, 1),
        # CPU time of all its threads: how many of the cores allowed it really used.
        "cpuSeconds": round(cpu_seconds, 1),
        # spaCy's own scorer on dev, as it selected model-best; bench/peers.ts scores test with conlleval.
        "devEntsF": round(100 * best["performance"]["ents_f"], 2),
    }
    (out / "training.json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info))


def load(name: str):
    import spacy

    model = spacy.load(name)
    # Only the NER and a tok2vec it listens to (the one trained here does; en_core_web_sm's
    # NER has a tok2vec of its own): tagger, parser, lemmatizer and a tok2vec only they
    # read add time and never change an entity.
    keep = {"ner"} | {name for name, pipe in model.pipeline if "ner" in getattr(pipe, "listening_components", [])}
    model.select_pipes(enable=[p for p in model.pipe_names if p in keep])
    return model


def predict(args) -> None:
    import spacy
    from spacy.tokens import Doc

    model = load(args.model)
    sentences = [tokens for tokens, _ in read_sentences(Path(args.tokens), with_tags=False)]

    batch_size = args.batch_size or model.batch_size  # the pipeline's own ([nlp] batch_size) unless given

    def run():
        docs = (Doc(model.vocab, words=tokens) for tokens in sentences)
        return list(model.pipe(docs, batch_size=batch_size))

    list(model.pipe((Doc(model.vocab, words=t) for t in sentences[:500]), batch_size=batch_size))  # warm-up
    seconds = []
    docs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        docs = run()
        seconds.append(time.perf_counter() - t0)
    with open(args.out, "w", encoding="utf-8") as f:
        for doc in docs:
            for token in doc:
                tag = "O" if token.ent_iob_ in ("O", "") else f"{token.ent_iob_}-{token.ent_type_}"
                f.write(f"{token.text} {tag}\n")
            f.write("\n")
    meta = model.meta
    print(json.dumps({
        "spacy": spacy.__version__,
        "model": {"name": f"{meta.get('lang')}_{meta.get('name')}", "version": meta.get("version")},
        "pipes": model.pipe_names,
        "batchSize": batch_size,
        "seconds": [round(s, 4) for s in seconds],
    }))


def main(argv) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--train", required=True)
    t.add_argument("--dev", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--max-steps", type=int, default=20000)
    t.add_argument("--max-epochs", type=int, default=0)
    p = sub.add_parser("predict")
    p.add_argument("--model", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=0)
    args = parser.parse_args(argv)
    {"train": train, "predict": predict}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
