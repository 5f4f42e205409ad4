#!/usr/bin/env bash
# Installs, when missing, the system parts the tests use: Chromium (end-to-end), LibreOffice and
# poppler (independent readers of the exported documents), Debian's python3-onnx (independent ONNX
# reader and benchmark baseline), python3-sklearn (the UCI digits the verify tests train a classifier on),
# and code-server 4.100.3 (a real VS Code 1.100.3) under .tmp/.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v soffice >/dev/null || need+=(libreoffice-writer libreoffice-calc libreoffice-impress)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v rg >/dev/null || need+=(ripgrep)
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || need+=(python3-onnx python3-numpy)
/usr/bin/python3 -c 'import h5py' 2>/dev/null || need+=(python3-h5py)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing system packages (need root to install): ${need[*]}" >&2
  fi
fi
cs=.tmp/code-server
if [ ! -x "$cs/node_modules/.bin/code-server" ]; then
  # @vscode/ripgrep's install downloads rg; it first looks in a cache under the OS temp dir, so put Debian's rg there.
  d=$(node -p "os.tmpdir()")/vscode-ripgrep-cache-1.15.11
  if [ ! -f "$d/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
    mkdir -p "$d/x" && cp "$(command -v rg)" "$d/x/rg" && tar czf "$d/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$d/x" rg
  fi
  mkdir -p "$cs"
  echo "installing code-server 4.100.3 into $cs (about a minute)"
  npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund --prefix "$cs" code-server@4.100.3 >"$cs/install.log" 2>&1 || { tail -20 "$cs/install.log"; exit 1; }
fi
