"""The layout the README describes holds: imports run one way, nothing loops, the
program never loads the tooling, host names have one home, and the Pulumi SDK's
internals are used in one reviewed file only."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib

from tests.structure.imports import ROOT, cycles, import_graph, project_modules, upward_imports


def test_imports_run_one_way() -> None:
    assert upward_imports(import_graph()) == []


def test_an_upward_import_is_reported() -> None:
    """The check itself: an add-on importing a component, a cluster backend importing an
    add-on, and the program importing the tooling are each caught."""
    graph = import_graph()
    graph["infra.addons.argocd"] = graph["infra.addons.argocd"] | {"infra.components.contracts"}
    graph["infra.clusters.civo"] = graph["infra.clusters.civo"] | {"infra.addons.base"}
    graph["infra.validation"] = graph["infra.validation"] | {"platform_cli.plan"}
    assert upward_imports(graph) == [
        "infra.addons.argocd -> infra.components.contracts (layer 1 imports layer 2)",
        "infra.clusters.civo -> infra.addons.base (infra.clusters imports a sibling)",
        "infra.validation -> platform_cli.plan (layer 0 imports layer 4)",
    ]


def test_no_import_loops() -> None:
    assert cycles(import_graph()) == []


def test_a_loop_is_reported() -> None:
    graph = import_graph()
    graph["infra.config"] = graph["infra.config"] | {"infra.placement"}
    assert ["infra.config", "infra.placement"] in cycles(graph)


def test_the_program_never_loads_the_tooling() -> None:
    """Importing every program module (what `pulumi up` loads) leaves platform_cli unloaded."""
    program = sorted(m for m in project_modules() if m.startswith("infra"))
    script = (
        "import importlib, sys\n"
        f"for name in {program!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'platform_cli'))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


# Host names: a literal label beside a formatted value (`argocd.{domain}`, `{app}.{domain}`),
# a URL scheme before one, the in-cluster Service suffix, or the secrets prefix.
HOST_TEMPLATE = re.compile(
    r"\{\}\.\{\}|[a-z][a-z0-9-]*\.\{\}|\{\}\.[a-z0-9-]+\.[a-z]|https?://\{\}|svc\.cluster\.local|^platform/\{\}"
)
# f-strings with that shape that are not host names, each with what they are.
NOT_HOST_NAMES = {
    ("platform_cli/diff.py", "{}.{}"): "an input path such as pools.nodeCount",
    ("platform_cli/lookups.py", "{}.{}"): "an input path such as nodePools.nodeQuantity",
    ("platform_cli/pulumi_internals.py", "{}.{}"): "an output path such as nodePools.plan",
    ("infra/catalog.py", "g4{}.kube.{}"): "Civo node size codes such as g4s.kube.medium",
    ("infra/stackconfig.py", "Pulumi.{}.yaml"): "the stack file's name",
    ("infra/validation.py", "database.rotations.{}"): "a config path naming one app's count",
    ("infra/observability_checks.py", "observability.{}.limits.memory"): "a config field path",
    ("infra/credentials/cluster_identity.py", "com.cloudflare.api.account.zone.{}"): (
        "a Cloudflare token's resource scope"
    ),
    ("infra/entitlements/cloudflare.py", "{}.{}"): "a config path such as apps[0].loadBalancing",
    ("infra/entitlements/cloudflare.py", "cloudflare.addOns.loadBalancing.{}"): "a config path",
    ("infra/entitlements/quotas.py", "{}.{}"): "a config key such as platform:civoAccount.quota",
    ("platform_cli/preflight/aws.py", "ActionNames.member.{}"): "an AWS query API parameter",
}
# The offline mocks answer as the clouds would, with host names the clouds choose.
CLOUD_ANSWERS = "platform_cli/mocks.py"


def _templates(path_text: str) -> list[str]:
    tree = ast.parse(path_text)
    return [
        "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{}"
            for part in node.values
            if isinstance(part, ast.Constant | ast.FormattedValue)
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
    ]


def test_host_names_are_spelled_only_in_the_naming_module() -> None:
    found = []
    for path in project_modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if relative in ("infra/naming.py", CLOUD_ANSWERS):
            continue
        found += [
            (relative, template)
            for template in _templates(path.read_text())
            if HOST_TEMPLATE.search(template) and (relative, template) not in NOT_HOST_NAMES
        ]
    assert found == []


def test_the_host_name_check_catches_one() -> None:
    assert HOST_TEMPLATE.search(_templates('x = f"grafana.{domain}"')[0])
    assert HOST_TEMPLATE.search(_templates('x = f"{app}.{cluster}.{domain}"')[0])
    assert HOST_TEMPLATE.search(_templates('x = f"platform/{env}/admin"')[0])


INTERNALS = "platform_cli/pulumi_internals.py"
PRIVATE_MODULES = re.compile(r"^pulumi\.runtime\.(?!$)")


def test_pulumi_internals_are_used_in_one_file_only() -> None:
    offenders = []
    for path in project_modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if relative == INTERNALS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                private = PRIVATE_MODULES.match(node.module) or any(
                    node.module.startswith("pulumi") and a.name.startswith("_") for a in node.names
                )
                if private:
                    offenders.append(f"{relative}: from {node.module} import ...")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{relative}: import {a.name}"
                    for a in node.names
                    if PRIVATE_MODULES.match(a.name)
                ]
    assert offenders == []


def test_pulumi_internals_were_reviewed_for_the_pinned_sdk() -> None:
    """Bumping the `pulumi` pin fails here until platform_cli/pulumi_internals.py is read
    against the new SDK and its REVIEWED_FOR_PULUMI moved to match."""
    from platform_cli.pulumi_internals import REVIEWED_FOR_PULUMI  # noqa: PLC0415

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [d.split("==")[1] for d in dependencies if d.startswith("pulumi==")]
    assert importlib.metadata.version("pulumi") == pin
    assert pin == REVIEWED_FOR_PULUMI, (
        f"pulumi is pinned at {pin}; re-read {INTERNALS} against it, then set "
        f"REVIEWED_FOR_PULUMI = {pin!r}"
    )
