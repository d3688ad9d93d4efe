"""Tiny Hugging Face token-classification models and the goldens Nerve's transformer family must match.

Everything is made with the Hugging Face libraries themselves (versions pinned in
requirements.txt): tokenizers trained with `tokenizers` on Reuters-21578 stories, models
from `transformers` trained for a few minutes on CoNLL-2003 train (so that entities
actually appear), exported with Optimum, and the goldens written by transformers' own
`pipeline("token-classification")`. Seeded and single-threaded, so a rerun writes the same
files. From the repository root:

    tools/hf/setup.sh                       # the venv under tools/hf/.venv (gitignored)
    tools/hf/.venv/bin/python tools/hf/make-fixtures.py --out test/fixtures/hf

writes, per model, an Optimum export folder (`bert-wordpiece/`, `roberta-bpe/`,
`xlmr-unigram/`) and `goldens/<model>.json`.
"""
import argparse
import html
import json
import random
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import tokenizers
import torch
import transformers
from onnxruntime.quantization import QuantType, quantize_dynamic
from optimum.exporters.onnx import main_export
from tokenizers import BertWordPieceTokenizer, ByteLevelBPETokenizer, SentencePieceUnigramTokenizer
from tokenizers.processors import BertProcessing, RobertaProcessing, TemplateProcessing
from transformers import (AutoModelForTokenClassification, AutoTokenizer, BertConfig, BertTokenizerFast,
                          RobertaConfig, RobertaTokenizerFast, XLMRobertaConfig, XLMRobertaTokenizerFast, pipeline)
from transformers.pipelines.token_classification import AggregationStrategy

from conll_words import conll_sentences, first_subtoken_labels
from golden_texts import golden_texts

# The window is short so that ordinary paragraphs already need several windows.
MAX_LENGTH = 64
STRIDE = 16
VOCAB_SIZE = 3000
LABELS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC']
STRATEGIES = ['none', 'simple', 'first', 'average', 'max']
# Models that also get an int8 copy (as tools/hf/quantize.py makes it), for the engine's int8 test.
QUANTIZED = {'bert-wordpiece'}
SMALL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)


def reuters_bodies(data: Path, files: int) -> list[str]:
    """Story bodies of the first `files` SGML files (Latin-1, entities escaped)."""
    bodies = []
    for path in sorted((data / 'reuters21578').glob('reut2-*.sgm'))[:files]:
        sgml = path.read_text(encoding='latin-1')
        bodies += [html.unescape(b) for b in re.findall(r'<BODY>(.*?)</BODY>', sgml, re.S)]
    return bodies


def wordpiece(corpus):
    tok = BertWordPieceTokenizer(lowercase=False)
    tok.train_from_iterator(corpus, vocab_size=VOCAB_SIZE, special_tokens=['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
    # A trained (rather than loaded) BertWordPieceTokenizer has no post-processor: [CLS] ... [SEP] as BERT's.
    tok.post_processor = BertProcessing(('[SEP]', tok.token_to_id('[SEP]')), ('[CLS]', tok.token_to_id('[CLS]')))
    fast = BertTokenizerFast(tokenizer_object=tok._tokenizer, do_lower_case=False, model_max_length=MAX_LENGTH,
                             unk_token='[UNK]', pad_token='[PAD]', cls_token='[CLS]', sep_token='[SEP]', mask_token='[MASK]')
    config = BertConfig(vocab_size=fast.vocab_size, max_position_embeddings=MAX_LENGTH, pad_token_id=fast.pad_token_id, **SMALL)
    return fast, config


def byte_level_bpe(corpus):
    specials = ['<s>', '<pad>', '</s>', '<unk>', '<mask>']
    tok = ByteLevelBPETokenizer(add_prefix_space=False, trim_offsets=True)
    tok.train_from_iterator(corpus, vocab_size=VOCAB_SIZE, special_tokens=specials)
    tok.post_processor = RobertaProcessing(('</s>', tok.token_to_id('</s>')), ('<s>', tok.token_to_id('<s>')), trim_offsets=True)
    fast = RobertaTokenizerFast(tokenizer_object=tok._tokenizer, model_max_length=MAX_LENGTH, bos_token='<s>', eos_token='</s>',
                                sep_token='</s>', cls_token='<s>', unk_token='<unk>', pad_token='<pad>', mask_token='<mask>')
    # RoBERTa numbers positions from pad_token_id + 1, so it needs two more position embeddings.
    config = RobertaConfig(vocab_size=fast.vocab_size, max_position_embeddings=MAX_LENGTH + 2, pad_token_id=fast.pad_token_id,
                           bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, type_vocab_size=1, **SMALL)
    return fast, config


def unigram(corpus):
    specials = ['<s>', '<pad>', '</s>', '<unk>', '<mask>']
    tok = SentencePieceUnigramTokenizer()
    tok.train_from_iterator(corpus, vocab_size=VOCAB_SIZE, special_tokens=specials, unk_token='<unk>')
    tok.post_processor = TemplateProcessing(single='<s> $A </s>', pair='<s> $A </s> </s> $B </s>',
                                            special_tokens=[(t, tok.token_to_id(t)) for t in ('<s>', '</s>')])
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok._tokenizer, model_max_length=MAX_LENGTH, bos_token='<s>', eos_token='</s>',
                                   sep_token='</s>', cls_token='<s>', unk_token='<unk>', pad_token='<pad>', mask_token='<mask>')
    config = XLMRobertaConfig(vocab_size=fast.vocab_size, max_position_embeddings=MAX_LENGTH + 2, pad_token_id=fast.pad_token_id,
                              bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, type_vocab_size=1, **SMALL)
    return fast, config


MODELS = {'bert-wordpiece': wordpiece, 'roberta-bpe': byte_level_bpe, 'xlmr-unigram': unigram}


def training_examples(fast, sentences):
    """Sentences as the engine sees them (words joined by spaces), each word's tag on its first sub-token only."""
    label_id = {l: i for i, l in enumerate(LABELS)}
    return [first_subtoken_labels(fast, words, tags, label_id)[:2] for words, tags in sentences]


def train(model, fast, sentences, epochs: int, seed: int):
    rng = random.Random(seed)
    examples = training_examples(fast, sentences)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.train()
    for epoch in range(epochs):
        rng.shuffle(examples)
        total = 0.0
        for b in range(0, len(examples), 32):
            batch = examples[b:b + 32]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.tensor([x + [fast.pad_token_id] * (width - len(x)) for x, _ in batch])
            labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch])
            loss = model(input_ids=ids, attention_mask=(ids != fast.pad_token_id).long(), labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f'  epoch {epoch + 1}: mean loss {total / (len(examples) / 32):.3f}', flush=True)
    model.eval()


def windows(fast, text):
    """The windows the pipeline feeds the model (its tokenizer call with stride), padding left out."""
    enc = fast(text, truncation=True, stride=STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True,
               return_special_tokens_mask=True, padding=True)
    out = []
    for i in range(len(enc['input_ids'])):
        n = sum(enc['attention_mask'][i])
        window = {'ids': enc['input_ids'][i][:n], 'offsets': [list(o) for o in enc['offset_mapping'][i][:n]],
                  'special': enc['special_tokens_mask'][i][:n]}
        if 'token_type_ids' in enc:
            window['typeIds'] = enc['token_type_ids'][i][:n]
        out.append(window)
    return out


def run_pipeline(pipe, text, strategy):
    if strategy != 'none':
        return pipe(text, aggregation_strategy=strategy, stride=STRIDE)
    # The pipeline refuses a stride with aggregation "none"; its own steps, with the tokenizer
    # parameters it would use for a stride, give what "none" over windows means.
    params = {'is_split_into_words': False, 'tokenizer_params': {'return_overflowing_tokens': True, 'padding': True, 'stride': STRIDE}}
    with torch.no_grad():
        outputs = [pipe.forward(inputs) for inputs in pipe.preprocess(text, **params)]
    return pipe.postprocess(outputs, aggregation_strategy=AggregationStrategy.NONE)


def entity_json(e):
    return {'type': e.get('entity_group', e.get('entity')), 'start': int(e['start']), 'end': int(e['end']),
            'score': float(e['score']), 'word': e['word']}


def one_text_a_line(golden) -> str:
    """Compact JSON with each text on a line of its own, so that a diff shows which texts changed."""
    head = json.dumps({k: v for k, v in golden.items() if k != 'texts'}, ensure_ascii=False)[:-1]
    texts = ',\n'.join(json.dumps(t, ensure_ascii=False, separators=(',', ':')) for t in golden['texts'])
    return f'{head}, "texts": [\n{texts}\n]}}\n'


def make(name, corpus, sentences, out: Path, epochs: int, seed: int):
    print(f'{name}: tokenizer', flush=True)
    torch.manual_seed(seed)
    fast, config = MODELS[name](corpus)
    config.num_labels = len(LABELS)
    config.id2label = dict(enumerate(LABELS))
    config.label2id = {l: i for i, l in enumerate(LABELS)}
    model = AutoModelForTokenClassification.from_config(config)
    print(f'{name}: training', flush=True)
    train(model, fast, sentences, epochs, seed)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        fast.save_pretrained(tmp)
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        main_export(tmp, output=target, task='token-classification', opset=18, do_validation=True)
    if name in QUANTIZED:
        quantize_dynamic(target / 'model.onnx', target / 'model_quantized.onnx', weight_type=QuantType.QInt8)
    print(f'{name}: goldens', flush=True)
    tokenizer = AutoTokenizer.from_pretrained(target)  # the committed export's own tokenizer
    pipe = pipeline('token-classification', model=model, tokenizer=tokenizer)
    golden = {
        'model': name, 'maxLength': MAX_LENGTH, 'stride': STRIDE,
        'versions': {'transformers': transformers.__version__, 'tokenizers': tokenizers.__version__, 'torch': torch.__version__},
        'texts': [{'text': text, 'windows': windows(tokenizer, text),
                   'entities': {s: [entity_json(e) for e in run_pipeline(pipe, text, s)] for s in STRATEGIES}}
                  for text in golden_texts()],
    }
    (out / 'goldens').mkdir(parents=True, exist_ok=True)
    (out / 'goldens' / f'{name}.json').write_text(one_text_a_line(golden), encoding='utf-8')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', type=Path, default=Path(__file__).resolve().parents[3] / 'shared' / 'data')
    parser.add_argument('--out', type=Path, required=True)
    parser.add_argument('--models', nargs='*', default=list(MODELS))
    parser.add_argument('--stories', type=int, default=3, help='Reuters SGML files to train the tokenizers on')
    parser.add_argument('--sentences', type=int, default=6000, help='CoNLL-2003 train sentences to train on')
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine's two cores are shared
    random.seed(args.seed)
    np.random.seed(args.seed)
    corpus = reuters_bodies(args.data, args.stories)
    sentences = random.Random(args.seed).sample(conll_sentences(args.data / 'conll2003' / 'train.txt'), args.sentences)
    for name in args.models:
        make(name, corpus, sentences, args.out, args.epochs, args.seed)


if __name__ == '__main__':
    main()
