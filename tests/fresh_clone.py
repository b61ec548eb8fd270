"""A fresh clone of this repository, as a newcomer gets one: `git clone` into a scratch
folder with `../shared` beside it, `origin/main` at the commit checked out, and a shell
that has never activated anything.

The README's install (`scripts/venv.sh`, through `bash scripts/plan.sh`) would spend
minutes downloading the pinned packages; the clone reuses the packages this test run
already has instead. Its `.venv` is a real virtualenv whose `site-packages` points at
them and at the clone's own code, with the console script and the stamp `venv.sh`
checks, so `bash scripts/plan.sh` finds the install done and runs as written."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from platform_cli.runner import PROJECT_DIR

# Who commits in the clone (a newcomer has their own git identity).
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Newcomer",
    "GIT_AUTHOR_EMAIL": "newcomer@example.com",
    "GIT_COMMITTER_NAME": "Newcomer",
    "GIT_COMMITTER_EMAIL": "newcomer@example.com",
}


@dataclass(frozen=True)
class Clone:
    root: Path

    def env(self) -> dict[str, str]:
        """A fresh shell's environment: no virtualenv active, none on the PATH."""
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        path = [p for p in env.get("PATH", "").split(os.pathsep) if not _in_a_venv(p)]
        return {**env, **GIT_IDENTITY, "PATH": os.pathsep.join(path)}

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _in_a_venv(entry: str) -> bool:
    return (Path(entry).parent / "pyvenv.cfg").is_file()


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _working_tree_files() -> list[str]:
    """Tracked and new files as they are now, so an uncommitted change is tested too."""
    listed = _git(PROJECT_DIR, "ls-files", "-co", "--exclude-standard", "-z")
    return [p for p in listed.split("\0") if p and (PROJECT_DIR / p).is_file()]


def _reuse_packages(clone: Path) -> None:
    """The clone's `.venv`: this run's packages, the clone's own code and console script."""
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Plain paths: the packages' own .pth files (this checkout's editable install among
    # them) are not read, so `platform_cli` and `infra` come from the clone.
    Path(site, "reuse-installed-packages.pth").write_text(
        f"{clone}\n{sysconfig.get_paths()['purelib']}\n"
    )
    script = venv / "bin" / "platform"
    script.write_text(f"#!{python}\nimport sys\nfrom platform_cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    pins = hashlib.sha256((clone / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (venv / f".installed-{pins}").touch()


def clone_into(folder: Path) -> Clone:
    """A fresh clone in ``folder``, with `shared` beside it."""
    if shutil.which("git") is None or not (PROJECT_DIR / ".git").exists():
        pytest.skip("not a git checkout: there is nothing to clone")
    root = folder / PROJECT_DIR.name
    _git(folder, "clone", "--quiet", str(PROJECT_DIR), str(root))
    for name in _working_tree_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, target)
    for name in _git(root, "ls-files", "--deleted", "-z").split("\0"):
        if name:
            _git(root, "rm", "--quiet", name)
    _git(root, "add", "--all")
    if _git(root, "status", "--porcelain"):
        _git(root, "commit", "--quiet", "-m", "the working tree under test")
    # A newcomer clones main: origin/main is what they have checked out.
    _git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    shared = PROJECT_DIR.parent / "shared"
    if shared.is_dir():
        (folder / "shared").symlink_to(shared)
    _reuse_packages(root)
    return Clone(root)


@pytest.fixture
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clone]:
    yield clone_into(tmp_path_factory.mktemp("newcomer"))
