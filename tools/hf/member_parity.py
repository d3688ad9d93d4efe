"""The parity file of an imported transformer member: each word's label distribution (the
softmax at its first sub-token, how the ensemble reads it) for a few sentences, computed by
Hugging Face's own tokenizer and ONNX Runtime's Python package from the folder's files. The
tests require Nerve's engine to give the same within 1e-4 (test/models/ensemble.test.ts).

    tools/hf/.venv/bin/python tools/hf/member_parity.py models/ensemble/minilm-a
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime
from transformers import AutoTokenizer

from conll_words import first_subtoken_labels

SENTENCES = [
    ['Peter', 'Blackburn', 'of', 'the', 'European', 'Commission', 'spoke', 'in', 'Brussels', 'on', 'Friday', '.'],
    ['OPEC', 'meets', 'in', 'Vienna', ';', 'OPEC', 'officials', 'said', 'output', 'would', 'hold', '.'],
    ['germany', "'s", 'representative', 'to', 'the', 'european', 'union', 'said', 'so', '.'],
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('folder', type=Path, help='an imported transformer folder (its manifest.json names the ONNX file)')
    args = parser.parse_args()
    manifest = json.loads((args.folder / 'manifest.json').read_text())
    tokenizer = AutoTokenizer.from_pretrained(args.folder)
    session = onnxruntime.InferenceSession(str(args.folder / manifest['file']), providers=['CPUExecutionProvider'])
    inputs = {i.name for i in session.get_inputs()}
    out = []
    for words in SENTENCES:
        ids, _, firsts = first_subtoken_labels(tokenizer, words, ['O'] * len(words), {'O': 0})
        feed = {'input_ids': np.array([ids], dtype=np.int64), 'attention_mask': np.ones((1, len(ids)), dtype=np.int64)}
        if 'token_type_ids' in inputs:
            feed['token_type_ids'] = np.zeros((1, len(ids)), dtype=np.int64)
        logits = session.run(None, feed)[0][0][firsts]
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        out.append({'words': words, 'probabilities': [[round(float(p), 7) for p in row] for row in probs]})
    target = args.folder / 'parity.json'
    target.write_text(json.dumps({'by': f'tools/hf/member_parity.py (onnxruntime {onnxruntime.__version__}, transformers tokenizer)', 'sentences': out}) + '\n')
    print(f'wrote {target}')


if __name__ == '__main__':
    main()
