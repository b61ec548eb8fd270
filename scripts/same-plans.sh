#!/usr/bin/env bash
# Refactoring gate: every stack's offline plan (resources.json and outputs.json) from the
# working tree is byte-identical to the plan the code at REF (default HEAD) produces.
#   bash scripts/same-plans.sh [REF]
# Exit 0 when all are identical, 1 when any differs (a diff of the first lines is shown).
source "$(dirname "$0")/venv.sh"
ref="${1:-HEAD}"
scratch=$(mktemp -d)
cleanup() {
  git worktree remove --force "$scratch/old" >/dev/null 2>&1
  rm -rf "$scratch"
}
trap cleanup EXIT
git worktree add --detach --quiet "$scratch/old" "$ref"

plan() {  # plan ROOT STACK OUT: the plan command of whichever layout ROOT has
  local module=infra
  [ -d "$1/platform_cli" ] && module=platform_cli
  (cd "$1" && python -m "$module" plan --stack "$2" --out "$3" >/dev/null)
}

status=0
for file in Pulumi.*.yaml; do
  stack=${file#Pulumi.}
  stack=${stack%.yaml}
  plan "$scratch/old" "$stack" "$scratch/plans/old/$stack"
  plan "$ROOT" "$stack" "$scratch/plans/new/$stack"
  for output in resources.json outputs.json; do
    old="$scratch/plans/old/$stack/$output" new="$scratch/plans/new/$stack/$output"
    if cmp -s "$old" "$new"; then
      echo "identical: $stack $output ($(sha256sum <"$new" | cut -c1-16))"
    else
      echo "DIFFERS:   $stack $output"
      diff "$old" "$new" | head -20
      status=1
    fi
  done
done
exit $status
