"""The README's exposure table is `platform exposure --stack prod --markdown`, verbatim."""

from __future__ import annotations

import re

from platform_cli.exposure import Matrix
from platform_cli.exposure.render import markdown_table
from platform_cli.runner import PROJECT_DIR

TABLE = re.compile(r"<!-- exposure:prod -->\n(.*?)\n<!-- /exposure:prod -->", re.DOTALL)


def test_the_readme_table_is_the_computed_matrix(matrices: dict[str, Matrix]) -> None:
    (documented,) = TABLE.findall((PROJECT_DIR / "README.md").read_text())
    assert documented == markdown_table(matrices["prod"]), (
        "README.md's exposure table is stale: replace it with "
        "`platform exposure --stack prod --markdown`"
    )
