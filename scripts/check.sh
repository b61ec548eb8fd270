#!/usr/bin/env bash
# Every check CI runs: lint, format, types, tests (fidelity tests read ../shared/upstream).
source "$(dirname "$0")/venv.sh"
ruff check .
ruff format --check .
mypy --strict
pytest -q
