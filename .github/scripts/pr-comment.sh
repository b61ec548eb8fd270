#!/usr/bin/env bash
# Post a pull request's one review comment, or update it in place: the comment of
# github-actions[bot] whose body starts with the marker `platform review` writes first
# (platform_cli/review.py MARKER). Usage: pr-comment.sh BODY_FILE, with GH_TOKEN, REPO
# and PR set. A body that does not start with the marker holds no review: the comment
# says the offline review failed, above whatever else the body holds.
set -euo pipefail
marker='<!-- platform-review -->'
body="$(mktemp)"
if [ "$(head -c "${#marker}" "$1" 2>/dev/null)" = "$marker" ]; then
  cat "$1" > "$body"
else
  { printf '%s\n\nThe offline review failed; see the job log.\n' "$marker"; cat "$1" 2>/dev/null || true; } > "$body"
fi
id="$(gh api --paginate "repos/$REPO/issues/$PR/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" \
  | head -n 1)"
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$REPO/issues/comments/$id" -F body=@"$body" > /dev/null
else
  gh api --method POST "repos/$REPO/issues/$PR/comments" -F body=@"$body" > /dev/null
fi
