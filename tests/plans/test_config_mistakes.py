"""The project's corpus of config mistakes a busy person makes, by kind: each exits 2 with
one `error:` line per problem, naming the field as written (or the file's line and
column) and saying what to do, or warns where the config works but needs a decision.

Kinds: the YAML as typed (indentation, tabs, numbers that should be text); keys (misspelt,
misplaced, secret where nothing is); names that collide with something the platform
owns; sizes that contradict each other; addresses; values in the wrong shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.runner import PROJECT_DIR
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)

Edit = Callable[[dict[str, Any]], None]
PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()


def _cluster(index: int, **fields: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["platform:clusters"][index].update(fields)

    return edit


def _set(key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[key] = value

    return edit


def _rename(old: str, new: str) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[new] = c.pop(old)

    return edit


def _app(index: int, **fields: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["platform:apps"][index].update(fields)

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        for one in edits:
            one(c)

    return edit


def _rename_weather(new: str) -> Edit:
    """Rename prod's public app `weather`, and the app that depends on it."""

    def edit(c: dict[str, Any]) -> None:
        for app in c["platform:apps"]:
            if app["name"] == "weather":
                app["name"] = new
            app["dependsOn"] = [new if d == "weather" else d for d in app.get("dependsOn", [])]

    return edit


def _database(**fields: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["platform:database"].update(fields)

    return edit


def _rename_cluster(old: str, new: str) -> Edit:
    """Rename a cluster, and every mention of it (placement, alert routes)."""

    def renamed(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: renamed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [renamed(v) for v in value]
        return new if value == old else value

    def edit(c: dict[str, Any]) -> None:
        c.update(renamed(c))

    return edit


# Each: (kind: case, edit of prod's config, the exact stderr lines of `platform plan`).
CASES: list[tuple[str, Edit, list[str]]] = [
    # --- keys: misspelt, misplaced, or secret where nothing is -------------------------
    (
        "keys: misspelt namespace",
        _rename("platform:domain", "platfrom:domain"),
        [
            "error: platform:domain: Field required",
            "error: platfrom:domain: unknown namespace 'platfrom'; did you mean 'platform:domain'?",
        ],
    ),
    (
        "keys: misspelt top-level key",
        _set("platform:domian", "example.com"),
        ["error: platform:domian: unknown key; did you mean 'domain'?"],
    ),
    (
        "keys: misspelt key in a named list item",
        _cluster(0, nodeCont=4),
        ["error: platform:clusters[0](london).nodeCont: unknown key; did you mean 'nodeCount'?"],
    ),
    (
        "keys: a key only the other cloud has",
        _cluster(1, autoscaling={"minNodes": 3, "maxNodes": 6}),
        [
            "error: platform:clusters[1](frankfurt).autoscaling: unknown key for a civo "
            "cluster (only vultr clusters have it); the keys here are egressCidrs, enabled, "
            "keyRotation, kubernetesVersion, labels, name, nodeCount, nodeSize, provider, region"
        ],
    ),
    (
        "keys: a key nothing resembles",
        _database(replicas=3),
        [
            "error: platform:database.replicas: unknown key; the keys here are allowedCidrs, "
            "backups, engine, name, nodes, protect, region, retainOnDelete, rotations, size, "
            "version"
        ],
    ),
    (
        "keys: a stack setting indented into another key",
        _database(**{"platform:drain": ["newyork"]}),
        [
            "error: platform:database.platform:drain: a stack setting inside platform:database; "
            "move it out, to two spaces' indent under 'config:'"
        ],
    ),
    (
        "keys: a setting stored as a secret that is no credential",
        _set("platform:domain", {"secure": "v1:AAABAMVd6qIa"}),
        [
            "error: platform:domain: a secret value, but it is no credential and a secret "
            "cannot be checked before `up`: set it in plain text with "
            "`pulumi config set platform:domain <value>`"
        ],
    ),
    # --- security: credentials and who is admitted -------------------------------------
    (
        "security: provider credential in plain text",
        _set("civo:token", "abc"),
        [
            "error: civo:token: a credential in plain text; remove it and run "
            "`pulumi config set --secret civo:token`, which stores it encrypted"
        ],
    ),
    (
        "security: admin CIDRs that together are the internet",
        _set("platform:adminCidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
        [
            "error: platform:adminCidrs: together these admit 4,294,967,296 IPv4 addresses, "
            "more than a /8; list the addresses you own"
        ],
    ),
    (
        "security: one admin CIDR that is half the internet",
        _set("platform:adminCidrs", ["0.0.0.0/1"]),
        [
            "error: platform:adminCidrs: together these admit 2,147,483,648 IPv4 addresses, "
            "more than a /8; list the addresses you own"
        ],
    ),
    # --- names that collide with what the platform owns --------------------------------
    (
        "names: workload cluster named mgmt",
        _cluster(3, name="mgmt"),
        [
            # prod's alert routes name chicago, which this edit renames.
            "error: platform:alerting.routes[0].clusters[1]: 'chicago' is not a cluster",
            "error: platform:clusters[3](mgmt).name: 'mgmt' is the management cluster's name; "
            "its cloud names, IAM user and DNS records would collide with the management "
            "cluster's; rename the cluster",
        ],
    ),
    (
        "names: public app named like the metrics hub",
        _rename_weather("prometheus-mgmt"),
        [
            "error: platform:apps[2](prometheus-mgmt).name: host name "
            "'prometheus-mgmt.example.com' is the metrics hub's, where workload clusters "
            "write their metrics; rename the app"
        ],
    ),
    (
        "names: public app named like Grafana",
        _rename_weather("grafana"),
        [
            "error: platform:apps[2](grafana).name: host name 'grafana.example.com' is "
            "Grafana's; rename the app"
        ],
    ),
    (
        "names: misspelt cluster name",
        _set("platform:drain", ["londn"]),
        ["error: platform:drain[0]: 'londn' is not an enabled cluster; did you mean 'london'?"],
    ),
    (
        "names: a drained cluster that is disabled",
        _both(_cluster(3, enabled=False), _set("platform:drain", ["chicago"])),
        [
            "error: platform:drain[0]: 'chicago' is disabled (enabled: false), so no pool has "
            "it; remove it from drain"
        ],
    ),
    (
        "names: a cluster name that makes its IAM user name too long",
        _rename_cluster("london", "london-docklands-primary-cluster-one-x"),
        [
            "error: platform:clusters[0](london-docklands-primary-cluster-one-x).name: the "
            "cluster's IAM user name "
            "'platform-prod-london-docklands-primary-cluster-one-x-secret-reader' is 66 "
            "characters, more than the 64 IAM allows "
            "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); "
            "shorten the cluster or environment name"
        ],
    ),
    (
        "names: a label key the API server refuses",
        _cluster(0, labels={"tier": "standard", "geo": "europe", "Cost Centre": "web"}),
        [
            "error: platform:clusters[0](london).labels: label key 'Cost Centre': the name "
            "must be alphanumeric characters, '-', '_' or '.', starting and ending with an "
            "alphanumeric character, at most 63 (apimachinery IsQualifiedName); rename it, as "
            "in 'cost-centre'"
        ],
    ),
    # --- sizes that contradict each other ----------------------------------------------
    (
        "sizes: nodeCount above the autoscaler's maximum",
        _cluster(3, nodeCount=8),
        [
            "error: platform:clusters[3](chicago).nodeCount: 8 is above autoscaling.maxNodes "
            "(6): the autoscaler keeps the pool within 3-6 nodes, and nodeCount only sizes it "
            "at creation; set nodeCount within 3-6, or change the limits"
        ],
    ),
    (
        "sizes: nodeCount below the autoscaler's minimum",
        _cluster(3, nodeCount=1),
        [
            "error: platform:clusters[3](chicago).nodeCount: 1 is below autoscaling.minNodes "
            "(3): the autoscaler keeps the pool within 3-6 nodes, and nodeCount only sizes it "
            "at creation; set nodeCount within 3-6, or change the limits"
        ],
    ),
    # --- values in the wrong shape -----------------------------------------------------
    (
        "values: a string where a boolean belongs",
        _app(0, public="yes"),
        [
            "error: platform:apps[0](hello-world).public: Input should be a valid boolean; "
            "write true or false, unquoted"
        ],
    ),
    (
        "values: a Vultr version without its v and build",
        _cluster(3, kubernetesVersion="1.33"),
        [
            "error: platform:clusters[3](chicago).kubernetesVersion: '1.33' is not a VKE "
            "version such as 'v1.33.0+1' (`vultr-cli kubernetes versions` lists them)"
        ],
    ),
    (
        "values: an email address without its domain",
        _set("platform:acmeEmail", "platform-team"),
        [
            "error: platform:acmeEmail: 'platform-team' is not an email address such as "
            "'platform-team@example.com'"
        ],
    ),
    (
        "values: a health check path without its slash",
        _app(1, healthCheckPath="health"),
        [
            "error: platform:apps[1](blog).healthCheckPath: 'health' is not a path: start it "
            "with '/', as in '/health'"
        ],
    ),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_exits_2_naming_what_was_written(
    case: str,
    edit: Edit,
    expected: list[str],
    write_config: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--config", str(write_config("prod", edit))]) == 2, case
    assert capsys.readouterr().err.splitlines() == expected


def _line_of(text: str, line: str) -> int:
    return 1 + text.splitlines().index(line)


def _replace_once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) >= 1, old
        return text.replace(old, new, 1)

    return edit


VERSION_LINE = _line_of(PROD, '    version: "17"')
# Mistakes in the YAML as typed, which a parsed config no longer shows: (kind: case, an
# edit of Pulumi.prod.yaml's text, the stderr lines with `{path}` for the file).
TEXT_CASES: list[tuple[str, Callable[[str], str], list[str]]] = [
    (
        "yaml: a setting pasted beside config:, not under it",
        lambda text: text + "platform:drain: [newyork]\n",
        [
            f"error: {{path}}: line {len(PROD.splitlines()) + 1}: 'platform:drain' is beside "
            "'config:', not under it, so Pulumi would ignore it; indent it by two spaces, "
            "under 'config:'"
        ],
    ),
    (
        "yaml: a tab for indentation",
        _replace_once("    region: LON1\n    nodeSize: g4s", "\tregion: LON1\n    nodeSize: g4s"),
        [
            f"error: {{path}}: line {_line_of(PROD, '    region: LON1')}, column 1: a tab "
            "character; YAML indents with spaces only: replace the tab with spaces"
        ],
    ),
    (
        "yaml: an unclosed quote",
        _replace_once('version: "17"', 'version: "17'),
        [
            f"error: {{path}}: line {VERSION_LINE}, column 14: a quote that is never closed; "
            "close it"
        ],
    ),
    (
        "yaml: a version YAML reads as a number",
        _replace_once('version: "17"', "version: 17"),
        [
            "error: platform:database.version: YAML reads 17 as a number, and this key takes "
            'text: quote it, "17"'
        ],
    ),
    (
        "yaml: an all-digit id YAML reads as a number",
        _replace_once(
            "accountId: 0123456789abcdef0123456789abcdef",
            "accountId: 12345678901234567890123456789012",
        ),
        [
            "error: platform:cloudflare.accountId: YAML reads "
            "12345678901234567890123456789012 as a number, and this key takes text: quote "
            'it, "12345678901234567890123456789012"'
        ],
    ),
    (
        "yaml: a rotation marker YAML reads as a number",
        _replace_once("      nodeCount: 3\n      labels", "      keyRotation: 2\n      labels"),
        [
            "error: platform:clusters[0](london).keyRotation: YAML reads 2 as a number, and "
            'this key takes text: quote it, "2"'
        ],
    ),
]


@pytest.mark.parametrize(("case", "edit", "expected"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_each_mistake_in_the_yaml_names_the_line_and_the_fix(
    case: str,
    edit: Callable[[str], str],
    expected: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(edit(PROD))
    assert main(["plan", "--config", str(path)]) == 2, case
    assert capsys.readouterr().err.splitlines() == [
        e.replace("{path}", str(path)) for e in expected
    ]


def test_a_duplicate_yaml_key_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text + "  platform:domain: other.example.com\n")
    first = 1 + text.splitlines().index(
        next(line for line in text.splitlines() if line.startswith("  platform:domain:"))
    )
    last = len(text.splitlines()) + 1
    assert main(["plan", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: line {last}: duplicate key 'platform:domain' (first on line {first}); "
        "keep one of them"
    ]


def test_a_file_without_the_config_wrapper_names_the_key_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("platform:domain: example.com\nplatform:environment: dev\n")
    assert main(["plan", "--config", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: 'platform:domain' is at the top level; stack settings belong under "
        "a top-level 'config:' mapping"
    ]


@pytest.mark.usefixtures("planned_stacks")
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_example_stacks_plan_without_a_warning(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A warning names something the reader of that stack can and should change now: the
    examples have nothing to change, so their plans warn of nothing (dev's database is
    meant to be deletable)."""
    assert main(["plan", "--stack", stack, "--out", str(PROJECT_DIR / "build" / stack)]) == 0
    assert capsys.readouterr().err.splitlines() == []


def test_an_unprotected_production_database_warns_once(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Said by the config check, which names the setting; the guardrail that says the
    same in `pulumi preview --policy-pack` is not repeated."""

    def unprotect(c: dict[str, Any]) -> None:
        c["platform:database"]["protect"] = False

    assert (
        main(["plan", "--config", str(write_config("prod", unprotect)), "--out", str(tmp_path)])
        == 0
    )
    assert capsys.readouterr().err.splitlines() == [
        "warning: platform:database.protect is false in production stack 'prod': removing "
        "the database or an app's database would delete its data"
    ]


def test_an_unknown_stack_names_its_file_once_and_lists_the_stacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--stack", "staging"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: {PROJECT_DIR / 'Pulumi.staging.yaml'}: no such stack file; stacks here: dev, prod"
    )


def test_all_stacks_names_the_stack_of_each_error_and_claims_nothing_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text(PROD.replace('version: "17"', "version: 17"))
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "error: stack prod: platform:database.version: YAML reads 17 as a number, and this "
        'key takes text: quote it, "17"'
    ]
    assert out.splitlines() == ["0 of 1 stacks planned: 1 has an invalid config (above)"]
