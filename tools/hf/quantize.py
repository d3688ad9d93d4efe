"""An export's int8 copy: ONNX Runtime's dynamic quantization (weights to int8 ahead of time,
activations quantized on the fly), written beside model.onnx as model_quantized.onnx, the
name Optimum's `optimum-cli onnxruntime quantize` gives it. Nerve runs it with
`onnxFile: 'model_quantized.onnx'` (or imports it: importTransformer's `onnxFile`).

    tools/hf/.venv/bin/python tools/hf/quantize.py EXPORT_DIR
"""
import argparse
from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('export', type=Path)
    args = parser.parse_args()
    source = next((p for p in (args.export / 'model.onnx', args.export / 'onnx' / 'model.onnx') if p.exists()), None)
    if source is None:
        raise SystemExit(f'{args.export}: no model.onnx (or onnx/model.onnx)')
    target = source.with_name('model_quantized.onnx')
    # Signed int8 weights: what ONNX Runtime's CPU kernels for MatMulInteger run fastest on x86-64.
    quantize_dynamic(source, target, weight_type=QuantType.QInt8)
    print(f'{target}: {target.stat().st_size / 1e6:.1f} MB (from {source.stat().st_size / 1e6:.1f} MB)')


if __name__ == '__main__':
    main()
