#!/usr/bin/env bash
# The whole test suite: type-check, build, unit tests (node's test runner), then the end-to-end test
# in a real VS Code (code-server + Chromium). Installs what the end-to-end tests need when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh
npm run --silent typecheck
node scripts/build.mjs
node --test --test-reporter=spec --test-concurrency=2 dist/test/unit/
node test/e2e/run.mjs
node test/electron/run.mjs
