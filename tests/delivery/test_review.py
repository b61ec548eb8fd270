"""`platform review` on a synthetic pull request: two commits of a throwaway repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from platform_cli import main
from platform_cli.review import MARKER, select_stacks
from platform_cli.runner import PROJECT_DIR

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "reviewer",
    "GIT_AUTHOR_EMAIL": "reviewer@example.com",
    "GIT_COMMITTER_NAME": "reviewer",
    "GIT_COMMITTER_EMAIL": "reviewer@example.com",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=GIT_ENV, capture_output=True)


def edit(path: Path, after: str, old: str, new: str) -> None:
    """Replace the first ``old`` that follows ``after``."""
    text = path.read_text()
    start = text.index(old, text.index(after))
    path.write_text(text[:start] + new + text[start + len(old) :])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main branch holds the real stack files and a program file."""
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    for stack in ("dev", "prod"):
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", root)
    (root / "infra" / "config.py").write_text("# the program\n")
    (root / "README.md").write_text("# platform\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "change")
    return root


def run_review(repo: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "review",
            "--repo",
            str(repo),
            "--base",
            "main",
            "--head",
            "change",
            *extra,
            "--out",
            str(out),
        ]
    )


def test_a_config_edit_gets_one_comment_body_with_its_diff(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = repo / "Pulumi.dev.yaml"
    edit(dev, "- name: frankfurt", "nodeCount: 2", "nodeCount: 3")  # an update
    edit(dev, "- name: london", "nodeSize: g4s.kube.medium", "nodeSize: g4s.kube.large")  # rejected
    git(repo, "commit", "-qam", "frankfurt gets a node; london bigger nodes")

    body_file = tmp_path / "review.md"
    # A change `pulumi up` would not get through: the review says so in its exit code.
    assert run_review(repo, body_file) == 3
    body = body_file.read_text()
    assert body.startswith(MARKER + "\n")
    assert "| `dev` | `Pulumi.dev.yaml` changed | 0 | 1 | 0 | 0 | 1 |" in body
    assert "`prod`" not in body  # untouched stacks are not planned
    assert "~ civo:index/kubernetesCluster:KubernetesCluster frankfurt  [pools.nodeCount]" in body
    assert (
        "> [!CAUTION]" in body and "`london`: the provider rejects a change to pools.size" in body
    )
    assert capsys.readouterr().out.startswith(MARKER)


def test_a_rotation_that_renews_the_password_in_use_is_refused_in_the_comment(
    repo: Path, tmp_path: Path
) -> None:
    dev = repo / "Pulumi.dev.yaml"
    edit(dev, "platform:database:", "nodes: 1", "nodes: 1\n    rotations: {blog: 2}")
    git(repo, "commit", "-qam", "rotate the blog twice at once")
    assert run_review(repo, tmp_path / "review.md") == 2
    body = (tmp_path / "review.md").read_text()
    assert "> - platform:database.rotations.blog: 0 -> 2 renews the password of blog," in body
    assert "~ postgresql:index/role:Role shared-blog-role  [password]" in body  # and the diff


def test_only_what_can_change_a_stack_selects_it(repo: Path, tmp_path: Path) -> None:
    (repo / "README.md").write_text("# platform, documented\n")
    git(repo, "commit", "-qam", "docs only")
    assert run_review(repo, tmp_path / "docs.md") == 0
    assert "No stack's result changes" in (tmp_path / "docs.md").read_text()

    git(repo, "rm", "-q", "Pulumi.prod.yaml")
    git(repo, "commit", "-qm", "retire prod")
    assert run_review(repo, tmp_path / "rm.md") == 1
    body = (tmp_path / "rm.md").read_text()
    assert "| `prod` | `Pulumi.prod.yaml` changed | stack file removed |" in body
    assert "pulumi destroy --stack prod" in body


def test_list_names_the_stacks_for_a_workflow_matrix(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra" / "config.py").write_text("# the program, changed\n")
    git(repo, "commit", "-qam", "code")
    assert (
        main(["review", "--repo", str(repo), "--base", "main", "--head", "change", "--list"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == ["dev", "prod"]


def test_stack_selection() -> None:
    both = {"dev", "prod"}
    assert select_stacks(["Pulumi.dev.yaml"], both, both).stacks == ["dev"]
    assert select_stacks(["README.md", "docs/runbooks/x.md"], both, both).stacks == []
    program = select_stacks(["infra/components/app.py"], both, both)
    assert program.stacks == ["dev", "prod"] and program.program_files == [
        "infra/components/app.py"
    ]
    for path in ("stacks/__main__.py", "pyproject.toml", "Pulumi.yaml"):
        assert select_stacks([path], both, both).stacks == ["dev", "prod"], path
    assert select_stacks(["Pulumi.staging.yaml"], both, both | {"staging"}).stacks == ["staging"]
    assert select_stacks(["nested/Pulumi.dev.yaml"], both, both).stacks == []


def test_an_unknown_ref_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--repo", str(repo), "--base", "no-such-ref", "--list"]) == 2
    assert capsys.readouterr().err.startswith("error: git merge-base")


def test_a_code_change_is_planned_with_the_base_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request that changes only code: the base is planned with the base's code, so
    the comment shows what the code does instead of "no change"."""
    # The head is planned with this checkout's code as it is on disk, so the repository
    # is made from the working tree's files, committed or not.
    clone = tmp_path / "clone"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (PROJECT_DIR / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, clone / name)
    git(clone, "init", "-q", "-b", "base")
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "the working tree")
    git(clone, "rm", "-q", "Pulumi.prod.yaml")  # one stack keeps the test short
    git(clone, "commit", "-qm", "dev only")
    edit(
        clone / "infra" / "components" / "workload_cluster.py",
        "tags=(",
        '"platform", args.settings.environment, "workload"',
        '"platform", args.settings.environment, "regional"',
    )
    git(clone, "commit", "-qam", "base: workload clusters tagged regional")
    git(clone, "checkout", "-qb", "change")
    git(clone, "revert", "--no-edit", "HEAD")  # the head is this checkout's code again

    body_file = tmp_path / "code.md"
    arguments = [
        "--repo",
        str(clone),
        "--base",
        "base",
        "--head",
        "change",
        "--out",
        str(body_file),
    ]
    assert main(["review", *arguments]) == 1
    body = body_file.read_text()
    assert "planned with the base's code" in body
    assert "| `dev` | program files changed | 0 | 2 | 0 | 0 | 0 |" in body
    assert "~ civo:index/kubernetesCluster:KubernetesCluster london  [tags]" in body
    capsys.readouterr()


def test_an_edit_passing_a_quota_on_its_way_is_refused_in_the_comment(
    tmp_path: Path,
) -> None:
    """review-23 §1: dev at its 7-pool quota moves weather to frankfurt; the end state
    fits, but `up` holds 8 pools before it deletes the old one."""
    root = tmp_path / "repo"
    root.mkdir()
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    config = document["config"]
    config["platform:cloudflare"] = {
        **config["platform:cloudflare"],
        "accountId": "a" * 32,
        "addOns": {"loadBalancing": {"pools": 7, "endpoints": 7}},
    }
    dev = root / "Pulumi.dev.yaml"
    dev.write_text(yaml.safe_dump(document, sort_keys=False))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "change")
    edit(dev, "name: weather", "cluster: london", "cluster: frankfurt")
    git(root, "commit", "-qam", "weather moves to frankfurt")

    assert run_review(root, tmp_path / "review.md") == 3
    body = (tmp_path / "review.md").read_text()
    assert "> `pulumi up` goes over these account quotas on its way, and fails:" in body
    assert (
        "> - platform:cloudflare.addOns.loadBalancing.pools: cloudflare account "
        f"{'a' * 32}: pools: 8 at once during `up`, more than the 7 it allows"
    ) in body
