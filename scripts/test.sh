#!/usr/bin/env bash
# The whole suite: once on SQLite (with the browser tests), then the database-facing tests again
# on PostgreSQL when YSDW_TEST_DATABASE_URL is set. Under CI=true, a missing PostgreSQL, Redis or
# Chromium fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
# One pytest-xdist worker per core; the browser tests share one worker (their xdist_group), so the
# live server and Chromium start once. A later `-n 0` in the arguments turns xdist off.
PYTEST=".venv/bin/python -m pytest -n auto --dist loadgroup"

if [ "${CI:-}" = "true" ]; then
  command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (CI=true)"; exit 1; }
  [ -n "${YSDW_TEST_DATABASE_URL:-}" ] || { echo "FAIL: YSDW_TEST_DATABASE_URL is not set (CI=true)"; exit 1; }
  [ -n "${YSDW_TEST_REDIS_URL:-}" ] || { echo "FAIL: YSDW_TEST_REDIS_URL is not set (CI=true)"; exit 1; }
fi

echo "== Lint =="
.venv/bin/ruff check ysdw_live tests app.py bench
.venv/bin/ruff format --check ysdw_live tests app.py bench
echo "== Import layers (import-linter) =="
.venv/bin/lint-imports

echo "== Suite on SQLite =="
env -u YSDW_TEST_DATABASE_URL $PYTEST "$@"

if [ -n "${YSDW_TEST_DATABASE_URL:-}" ]; then
  echo "== Database-facing tests on PostgreSQL (${YSDW_TEST_DATABASE_URL}) =="
  # The tests that never touch the test database (Redis, codes, the CLI subprocess…) ran above.
  $PYTEST -m "database" "$@"
else
  echo "PostgreSQL run skipped: set YSDW_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yswd_test to include it."
fi
