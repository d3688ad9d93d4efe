#!/usr/bin/env bash
# The Python environment of make-fixtures.py, under tools/hf/.venv (gitignored), from PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -x "$here/.venv/bin/python" ] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet -r "$here/requirements.txt"
