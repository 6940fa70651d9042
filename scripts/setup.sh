#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install coachstats (editable) with its extras.
# Looks on PATH first, then under pyenv; re-runs only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed"

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in python3.13 python3.12 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && is_ok "$c"; then command -v "$c"; return 0; fi
  done
  local root="${PYENV_ROOT:-}"
  if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then root="$(pyenv root 2>/dev/null || true)"; fi
  [ -z "$root" ] && root="$HOME/.pyenv"
  for c in $(ls -d "$root"/versions/3.1[2-9]* "$root"/versions/3.[2-9][0-9]* 2>/dev/null | sort -rV); do
    if [ -x "$c/bin/python3" ] && is_ok "$c/bin/python3"; then echo "$c/bin/python3"; return 0; fi
  done
  return 1
}

if [ "${1:-}" = "--find-python" ]; then
  find_python || { echo "coachstats needs Python >= 3.12: none found on PATH or under pyenv (install one, e.g. 'pyenv install 3.12')." >&2; exit 1; }
  exit 0
fi

if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ] && "$VENV/bin/python" -c 'import coachstats' >/dev/null 2>&1; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ] || ! is_ok "$VENV/bin/python"; then
  PY="$(find_python)" || { echo "coachstats needs Python >= 3.12: none found on PATH or under pyenv (install one, e.g. 'pyenv install 3.12')." >&2; exit 1; }
  echo "setup: creating $VENV with $PY ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[dev,notebooks,dask]"
touch "$STAMP"
echo "setup: done ($("$VENV/bin/python" --version))"
