#!/usr/bin/env bash
# Install uv from PyPI into the user's environment when it is not on PATH (fresh machine).
set -euo pipefail
if command -v uv >/dev/null 2>&1 || [ -x "$HOME/.local/bin/uv" ]; then exit 0; fi
python3 -m pip install --user --quiet "uv==0.13.8" 2>/dev/null || python3 -m pip install --quiet "uv==0.13.8"
