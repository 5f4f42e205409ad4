#!/usr/bin/env bash
# The whole test suite: type-check, build, the @vscode/test-electron suite (skipped, saying so, where VS Code
# cannot be downloaded), unit tests (node's test runner), then the end-to-end tests in a real VS Code
# (code-server + Chromium). Installs what the end-to-end tests need when missing. Ends with one total line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh
npm run --silent typecheck
node scripts/build.mjs
logs=$(mktemp -d)
node test/electron/run.mjs | tee "$logs/electron.log"
node --test --test-reporter=spec --test-concurrency=2 dist/test/unit/ | tee "$logs/unit.log"
node test/e2e/run.mjs | tee "$logs/e2e.log"
# Totals: node's test runner prints "ℹ pass N" / "ℹ fail N"; the VS Code suites end with "N passed, N failed".
count() { grep -E "$1" "$2" | tail -1 | grep -oE '[0-9]+' | head -1 || echo 0; }
unit_pass=$(count '^ℹ pass [0-9]+' "$logs/unit.log")
unit_fail=$(count '^ℹ fail [0-9]+' "$logs/unit.log")
unit_skip=$(count '^ℹ skipped [0-9]+' "$logs/unit.log")
vs_pass=0
vs_fail=0
for f in "$logs/electron.log" "$logs/e2e.log"; do
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -1 || true)
  p=$(echo "$line" | grep -oE '^[0-9]+' || echo 0)
  n=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  vs_pass=$((vs_pass + ${p:-0}))
  vs_fail=$((vs_fail + ${n:-0}))
done
rm -rf "$logs"
echo "total: $((unit_pass + vs_pass)) passed, $((unit_fail + vs_fail)) failed, ${unit_skip} skipped"
