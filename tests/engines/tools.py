"""The real engines some tests run: found on PATH, or the test skips saying what to
install; under CI (`CI=true`) it fails instead, so CI never passes without them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# binary -> the Debian package that ships it (what `.ci/run` installs).
PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


def engine(binary: str) -> str:
    path = shutil.which(binary)
    if path:
        return path
    message = f"`{binary}` is not installed: apt-get install {PACKAGES[binary]}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI runs every engine test; .ci/run installs it)")
    pytest.skip(message)


def run(binary: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [engine(binary), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
