#!/usr/bin/env bash
# The whole suite: once on SQLite (with the browser tests), then the database-facing tests again
# on PostgreSQL when YSDW_TEST_DATABASE_URL is set. Under CI=true, a missing PostgreSQL, Redis or
# Chromium fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
# One pytest-xdist worker per core for everything but the browser tests, which run in one process
# of their own so that the live server and Chromium start once. A later `-n 0` turns xdist off.
PYTEST=".venv/bin/python -m pytest"
PARALLEL="-n auto"

# Run one pass; a pass that selects no test (the arguments chose files of another pass) is fine.
pass_of() {
  local status=0
  "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "(no test of this pass was selected)"
    return 0
  fi
  return "$status"
}

if [ "${CI:-}" = "true" ]; then
  command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (CI=true)"; exit 1; }
  [ -n "${YSDW_TEST_DATABASE_URL:-}" ] || { echo "FAIL: YSDW_TEST_DATABASE_URL is not set (CI=true)"; exit 1; }
  [ -n "${YSDW_TEST_REDIS_URL:-}" ] || { echo "FAIL: YSDW_TEST_REDIS_URL is not set (CI=true)"; exit 1; }
fi

echo "== Lint =="
.venv/bin/ruff check ysdw_live tests app.py bench tools
.venv/bin/ruff format --check ysdw_live tests app.py bench tools
echo "== Import layers (import-linter) =="
.venv/bin/lint-imports
echo "== Security lint (bandit) =="
# Any finding fails the run; a deliberate one is marked in the code with `# nosec <id>` and the reason.
.venv/bin/bandit --quiet --recursive ysdw_live app.py

echo "== Suite on SQLite =="
pass_of env -u YSDW_TEST_DATABASE_URL $PYTEST $PARALLEL -m "not browser" "$@"
echo "== Real-browser tests (Chromium), SQLite =="
pass_of env -u YSDW_TEST_DATABASE_URL $PYTEST -m "browser" "$@"

if [ -n "${YSDW_TEST_DATABASE_URL:-}" ]; then
  echo "== Database-facing tests on PostgreSQL (${YSDW_TEST_DATABASE_URL}) =="
  # The tests that never touch the test database (Redis, codes, the CLI subprocess…) ran above.
  # The role matrix's refusals are the same on both databases: they run on SQLite only (sqlite_only).
  pass_of $PYTEST $PARALLEL -m "(database or postgres) and not sqlite_only" "$@"
else
  echo "PostgreSQL run skipped: set YSDW_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yswd_test to include it."
fi
