"""What Civo offers a managed database.

Node counts: "We give you the option to add 2 or 4 additional nodes", and "you should
always choose an odd number of nodes" (civo/docs e398c25
``content/docs/database/getting-started.md`` L93, L410): 1, 3 or 5 in all.
"""

from __future__ import annotations

DATABASE_NODE_COUNTS = (1, 3, 5)
