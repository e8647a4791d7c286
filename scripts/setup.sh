#!/usr/bin/env bash
# Set up PolicyQA in ./.venv (idempotent). With --test, also what the test suite needs:
# the test extras and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, as the CPU wheel: any other torch request pulls a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # Debian's chromium for the browser tests (playwright cannot download a browser here) and a
  # CJK font so the page's screenshots show characters, not boxes.
  if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
# Convert the embedding model once (cached under ~/.cache/policyqa) so the first run is quick.
HF_HUB_OFFLINE=1 .venv/bin/python -m retriever.e5_convert >/dev/null
echo "PolicyQA is set up in .venv"
