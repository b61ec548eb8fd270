#!/usr/bin/env bash
# Offline plan of a stack (default dev): the tree on stdout, build/<stack>/resources.json.
source "$(dirname "$0")/venv.sh"
platform plan --stack "${1:-dev}"
