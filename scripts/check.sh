#!/usr/bin/env bash
# Every check CI runs: lint, format, types, tests (fidelity tests read ../shared/upstream).
source "$(dirname "$0")/venv.sh"
ruff check .
ruff format --check .
mypy --strict
mypy --strict policy  # a second run: policy/ and stacks/ both have a __main__
mypy --strict deployments  # and a third: the Pulumi Deployments settings program
pytest -q
# The benchmark's tiny version keeps `platform bench` working; it asserts nothing.
platform bench --quick --out build/bench-quick.md
