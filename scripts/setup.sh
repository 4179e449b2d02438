#!/usr/bin/env bash
# Set up (or refresh) the local .venv with predbench and its dependencies. Idempotent: a second
# run with nothing changed returns in a second. Usage: bash scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "error: predbench needs Python >= 3.10 (found $("$python" --version 2>&1)); set PYTHON=..." >&2
    exit 2
  }
  echo "creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi

# Re-install only when the package definition or the requested extras changed.
stamp="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)$extras"
if [ -f .venv/.setup-stamp ] && [ "$(cat .venv/.setup-stamp)" = "$stamp" ] && [ -x .venv/bin/predbench ]; then
  exit 0
fi

pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
# torch first and pinned: here it resolves to the local CPU build; elsewhere to the regular build.
pip install "torch==2.13.0"
pip install -e ".${extras}"
echo "$stamp" > .venv/.setup-stamp
echo "predbench installed in .venv"
