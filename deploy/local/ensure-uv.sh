#!/usr/bin/env bash
# Install uv when it is not on PATH (fresh machine with only Python 3.11 and make).
# Tries pip --user first; where the system Python is "externally managed" (PEP 668, Debian/Ubuntu)
# it installs uv into its own venv under ~/.local/share and links it into ~/.local/bin.
set -euo pipefail
UV_VERSION="0.13.8"
BIN="$HOME/.local/bin"
if command -v uv >/dev/null 2>&1 || [ -x "$BIN/uv" ]; then exit 0; fi
PY="$(command -v python3.11 || command -v python3 || true)"
if [ -z "$PY" ]; then echo "ensure-uv: python3 not found; install Python 3.11 first" >&2; exit 1; fi
echo "ensure-uv: installing uv $UV_VERSION" >&2
if "$PY" -m pip install --user --quiet "uv==$UV_VERSION" 2>/dev/null && [ -x "$BIN/uv" ]; then exit 0; fi
VENV="$HOME/.local/share/qmachina-uv"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "uv==$UV_VERSION"
mkdir -p "$BIN"
ln -sf "$VENV/bin/uv" "$BIN/uv"
echo "ensure-uv: uv installed at $BIN/uv (add $BIN to PATH)" >&2
