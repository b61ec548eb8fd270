"""Runbooks that error messages point to, relative to the repository root."""

from __future__ import annotations

RESIZE_DATABASE = "docs/runbooks/resize-database.md"
RESIZE_NODE_POOL = "docs/runbooks/resize-node-pool.md"
REMOVE_CLUSTER = "docs/runbooks/add-region.md"
