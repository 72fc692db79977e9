#!/usr/bin/env bash
# The whole test suite, as the README's second quick-start command (`npm test`) and CI run it:
# static checks → build → the real local stack → unit tests → integration tests against it.
# Prints a closing line "tests: N passed, N failed". In CI (CI=true) the stack is stopped at the
# end so the machine is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n== %s (+%ss)\n' "$*" "$(($(date +%s) - started))"; }
JEST=(node --experimental-vm-modules node_modules/jest/bin/jest.js)
mkdir -p .stack

if [[ ${CI:-} == true ]]; then
  trap 'step "stopping the stack"; bash infra/stack.sh down || true' EXIT
fi

step "typecheck, lint, format, import rules"
npx tsc -p tsconfig.json --noEmit
npx eslint . --max-warnings 0
npx prettier --check "**/*.ts" --log-level warn
npx depcruise src --config .dependency-cruiser.cjs

step "npm audit (fails on high or critical)"
if ! audit_out=$(npm audit --audit-level=high 2>&1); then
  if grep -qiE 'found [0-9]+ .*(high|critical)|severity: (high|critical)' <<<"$audit_out"; then
    echo "$audit_out"
    exit 1
  fi
  echo "npm audit could not complete (registry audit endpoint unreachable?): $(tail -n 2 <<<"$audit_out")"
else
  tail -n 3 <<<"$audit_out"
fi

step "build"
npm run --silent build

step "local stack"
bash infra/stack.sh up

step "unit tests"
unit_rc=0
"${JEST[@]}" --selectProjects unit --json --outputFile=.stack/jest-unit.json || unit_rc=$?

step "integration tests (real Kafka, schema registry, PostgreSQL, Prometheus)"
int_rc=0
"${JEST[@]}" --selectProjects integration --runInBand --json --outputFile=.stack/jest-integration.json || int_rc=$?

step "done"
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of [".stack/jest-unit.json", ".stack/jest-integration.json"]) {
    if (!fs.existsSync(f)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
'
exit $((unit_rc || int_rc))
