"""`platform bench`: time-to-platform from the dependency graph, plan speed and scale,
resource economy and test-suite time, written to bench/RESULTS.md.

A benchmark, not a test: it measures and reports, and asserts nothing about time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from platform_cli.critical_path import Step, critical_path
from platform_cli.grouping import host_cluster
from platform_cli.latency import BY_CHART, BY_TYPE
from platform_cli.plan import plan_stack_file
from platform_cli.runner import PROJECT_DIR, PlanRun, Registration
from platform_cli.scenarios import base_document, generated, single_region, write


@dataclass(frozen=True)
class Kind:
    """A kind of resource in a plan: a type, narrowed to one chart or one label."""

    type: str
    chart: str | None = None
    label: tuple[str, str] | None = None

    def matches(self, r: Registration) -> bool:
        if r.type != self.type:
            return False
        if self.chart is not None and str(r.inputs.get("chart", "")).rsplit("/", 1)[-1] != (
            self.chart
        ):
            return False
        labels = (r.inputs.get("metadata") or {}).get("labels") or {}
        return self.label is None or labels.get(self.label[0]) == self.label[1]


RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class RemovedWait:
    """A wait the program used to have: each ``dependent`` waited for the ``dependency``
    on the same cluster. The bench re-adds it to measure what removing it saved."""

    what: str
    dependents: tuple[Kind, ...]
    dependency: Kind


REMOVED_WAITS = [
    RemovedWait(
        "cert-manager and external-dns waited for the Gateway, not the gateway-helm release",
        (Kind(RELEASE, chart="cert-manager"), Kind(RELEASE, chart="external-dns")),
        Kind("kubernetes:gateway.networking.k8s.io/v1:Gateway"),
    ),
    RemovedWait(
        "cluster registration waited for the whole Argo CD release, not its namespace",
        (Kind("kubernetes:core/v1:Secret", label=("argocd.argoproj.io/secret-type", "cluster")),),
        Kind(RELEASE, chart="argo-cd"),
    ),
    RemovedWait(
        "Argo CD waited for the management cluster's other add-ons",
        (Kind(RELEASE, chart="argo-cd"),),
        Kind("kubernetes:cert-manager.io/v1:Certificate"),
    ),
]


STATED_EGRESS = "prod, every cluster's egress stated"


@dataclass(frozen=True)
class Sizes:
    regions: tuple[int, ...]
    scale: tuple[tuple[int, int], ...]
    economy_clusters: tuple[int, ...]


FULL = Sizes((1, 2, 4, 8, 16), ((1, 1), (4, 10), (16, 50), (100, 200)), (4, 16))
QUICK = Sizes((1, 2), ((1, 1), (4, 10)), (4,))


def _plan(document: dict[str, Any], folder: Path, stack: str = "bench") -> PlanRun:
    return plan_stack_file(write(document, folder, stack))[1]


def _removed_wait_edges(
    run: PlanRun, waits: list[RemovedWait] = REMOVED_WAITS
) -> dict[str, set[str]]:
    by_urn = {r.urn: r for r in run.registrations}
    extra: dict[str, set[str]] = {}
    for wait in waits:
        dependencies = {
            host_cluster(r, by_urn): r.urn for r in run.registrations if wait.dependency.matches(r)
        }
        for r in run.registrations:
            if any(kind.matches(r) for kind in wait.dependents):
                dependency = dependencies.get(host_cluster(r, by_urn))
                if dependency is not None:
                    extra.setdefault(r.urn, set()).add(dependency)
    return extra


def _timed_plan(path: Path) -> tuple[float, float, int]:
    """Wall seconds, peak MiB and resource count of `platform plan` in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "platform_cli", "plan", "--config", str(path), "--out", out],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=PROJECT_DIR,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"platform plan failed for {path}")
        resources = len(json.loads((Path(out) / "resources.json").read_text()))
    return elapsed, usage.ru_maxrss / 1024, resources


def _chain_table(chain: list[Step]) -> list[str]:
    rows = ["| start s | end s | resource | type |", "|---:|---:|---|---|"]
    rows += [
        f"| {s.start:.0f} | {s.finish:.0f} | {s.resource.name} | `{s.resource.type}` |"
        for s in chain
        if s.resource.custom
    ]
    return rows


def time_to_platform(folder: Path, sizes: Sizes) -> list[str]:
    stacks = {
        "dev": plan_stack_file(PROJECT_DIR / "Pulumi.dev.yaml")[1],
        "prod (4 regions)": plan_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")[1],
        "prod, london only (Civo)": _plan(
            single_region("prod", "london"), folder / "one-civo", "prod"
        ),
        "prod, chicago only (Vultr)": _plan(
            single_region("prod", "chicago"), folder / "one-vultr", "prod"
        ),
        STATED_EGRESS: _plan(_with_stated_egress("prod"), folder / "stated", "prod"),
        "prod without observability": _plan(
            _without_observability("prod"), folder / "no-observability", "prod"
        ),
        f"{STATED_EGRESS}, without observability": _plan(
            _without_observability("prod", _with_stated_egress("prod")),
            folder / "stated-no-observability",
            "prod",
        ),
    }
    totals = {name: critical_path(run)[0] for name, run in stacks.items()}
    prod = totals["prod (4 regions)"]
    lines = [
        "## Time to platform",
        "",
        "| stack | resources | time to platform |",
        "|---|---:|---:|",
    ]
    lines += [f"| {n} | {len(stacks[n].registrations)} | {t:.0f} s |" for n, t in totals.items()]
    lines += [
        "",
        f"- prod ÷ single region (london, Civo): **{prod / totals['prod, london only (Civo)']:.2f}**",
        f"- prod ÷ single region (chicago, Vultr): **{prod / totals['prod, chicago only (Vultr)']:.2f}**",
        "",
        "### Growth with regions",
        "",
        "Generated stacks: N Civo clusters, 10 apps, the dev stack's database.",
        "",
        "| regions | resources | time to platform | ÷ 1 region |",
        "|---:|---:|---:|---:|",
    ]
    first = None
    for n in sizes.regions:
        run = _plan(generated(n, 10), folder / f"regions-{n}")
        total = critical_path(run)[0]
        first = first or total
        lines.append(f"| {n} | {len(run.registrations)} | {total:.0f} s | {total / first:.2f} |")
    _, chain = critical_path(stacks["prod (4 regions)"])
    lines += [
        "",
        "### Longest chain, prod",
        "",
        "Creating a firewall waits for the egress addresses it must admit, because a Civo",
        "firewall carries its rules inline (there is no separate rule resource): a workload",
        "cluster waits for the management cluster, the database for the clusters that use",
        "it, and the hub's load-balancer firewall for every workload cluster. Stating",
        f"`egressCidrs` in config removes those waits ({totals[STATED_EGRESS]:.0f} s above).",
        "",
        *_chain_table(chain),
        "",
    ]
    lines += [
        "### Serial steps removed",
        "",
        "| wait | prod before | prod after |",
        "|---|---:|---:|",
    ]
    for wait in REMOVED_WAITS:
        extra = _removed_wait_edges(stacks["prod (4 regions)"], [wait])
        before = critical_path(stacks["prod (4 regions)"], extra)[0]
        lines.append(f"| {wait.what} | {before:.0f} s | {prod:.0f} s |")
    everything = _removed_wait_edges(stacks["prod (4 regions)"])
    no_db = _plan(_without_database("prod"), folder / "no-db", "prod")
    lines += [
        f"| all of the above | {critical_path(stacks['prod (4 regions)'], everything)[0]:.0f} s | {prod:.0f} s |",
        f"| all of the above, prod without its database | "
        f"{critical_path(no_db, _removed_wait_edges(no_db))[0]:.0f} s | {critical_path(no_db)[0]:.0f} s |",
        "",
        *SERIAL_STEPS_NOTE,
        "",
    ]
    return lines


# Why the rows above can read the same before and after.
SERIAL_STEPS_NOTE = [
    "Equal figures are not a mistake: a removed wait shortens the chains through the",
    "clusters' add-ons, but while prod has its database the longest chain runs through",
    "the database's creation instead, and none of these waits were on it. The last row",
    "takes the database away to show what the waits cost.",
]


def _with_stated_egress(stack: str) -> dict[str, Any]:
    """Every cluster's egress written in config (a NAT in front, say): nothing waits for
    another cluster's nodes to learn their addresses."""
    document = base_document(stack)
    config = document["config"]
    config["platform:mgmtCluster"]["egressCidrs"] = ["192.0.2.1/32"]
    for i, cluster in enumerate(config["platform:clusters"]):
        cluster["egressCidrs"] = [f"192.0.2.{10 + i}/32"]
    return document


def _without_observability(stack: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stack with the observability (and so the cost) add-ons switched off."""
    document = document or base_document(stack)
    document["config"]["platform:observability"] = False
    return document


def _without_database(stack: str) -> dict[str, Any]:
    document = base_document(stack)
    document["config"].pop("platform:database", None)
    for app in document["config"].get("platform:apps", []):
        app.pop("database", None)
    return document


def plan_speed(folder: Path, sizes: Sizes) -> list[str]:
    lines = [
        "## Plan speed and scale",
        "",
        "Each plan runs as `python -m platform_cli plan` in a fresh process (imports included).",
        "",
        "| config | resources | wall time | peak memory | time growth | resource growth |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    # (name, stack file, whether it is a step of the generated series)
    cases: list[tuple[str, Path, bool]] = [
        ("dev", PROJECT_DIR / "Pulumi.dev.yaml", False),
        ("prod", PROJECT_DIR / "Pulumi.prod.yaml", False),
    ]
    cases += [
        (f"{c} x {a} (clusters x apps)", write(generated(c, a), folder / f"scale-{c}x{a}"), True)
        for c, a in sizes.scale
    ]
    previous: tuple[float, int] | None = None
    for name, path, in_series in cases:
        elapsed, peak, resources = _timed_plan(path)
        growth = (
            f"x{elapsed / previous[0]:.1f} | x{resources / previous[1]:.1f}"
            if previous and in_series
            else "- | -"
        )
        lines.append(f"| {name} | {resources} | {elapsed:.1f} s | {peak:.0f} MiB | {growth} |")
        previous = (elapsed, resources) if in_series else previous
    return [*lines, ""]


def _argo_objects(run: PlanRun) -> int:
    return sum(1 for r in run.registrations if "argoproj.io" in r.type)


def economy(folder: Path, sizes: Sizes) -> list[str]:
    lines = [
        "## Resource economy",
        "",
        "| change | at | resources added | Argo CD objects added | by type |",
        "|---|---|---:|---:|---|",
    ]
    for clusters in sizes.economy_clusters:
        for label, before_document, grown_document in (
            ("+1 private app", generated(clusters, 11), generated(clusters, 12)),
            ("+1 public database app", generated(clusters, 10), generated(clusters, 11)),
            ("+1 cluster", generated(clusters, 10), generated(clusters + 1, 10)),
        ):
            slug = re.sub(r"\W+", "-", label)
            base = _plan(before_document, folder / f"economy-{clusters}-{slug}-base")
            grown = _plan(grown_document, folder / f"economy-{clusters}-{slug}")
            added = Counter(r.type.rsplit(":", 1)[-1] for r in grown.registrations) - Counter(
                r.type.rsplit(":", 1)[-1] for r in base.registrations
            )
            lines.append(
                f"| {label} | {clusters} clusters | "
                f"{len(grown.registrations) - len(base.registrations)} | "
                f"{_argo_objects(grown) - _argo_objects(base)} | "
                + ", ".join(f"{n} {t}" for t, n in sorted(added.items()))
                + " |"
            )
    return [*lines, ""]


def test_suite_time() -> list[str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    return [
        "## Test suite",
        "",
        f"`pytest -q` on this machine ({os.cpu_count()} cores): **{elapsed:.1f} s** ({summary}).",
        "",
    ]


def latency_table() -> list[str]:
    lines = [
        "## Creation latencies used",
        "",
        "From `platform_cli/latency.py`, where each figure's source is written. Anything not",
        "listed is an API call of 2 s.",
        "",
        "| resource | seconds |",
        "|---|---:|",
    ]
    lines += [f"| `{t}` | {s:.0f} |" for t, s in sorted(BY_TYPE.items())]
    lines += [f"| Helm release `{c}` | {s:.0f} |" for c, s in sorted(BY_CHART.items())]
    return [*lines, ""]


METHOD = """# Benchmarks


Produced by `platform bench`; regenerate with `platform bench` (add `--with-tests` for the
test-suite time). Nothing here is asserted: these are measurements.

**Method.** The program runs under Pulumi's mock runtime, and a recording monitor keeps
every resource's dependencies (`request.dependencies` and `propertyDependencies`) and
its provider. Each resource gets the creation latency in the table below. Pulumi creates a
resource as soon as everything it waits for exists, so the time to platform is the
longest path through that graph. A dependency on a component waits for everything in
it. The figures model `pulumi up` with unlimited parallelism (Pulumi's default is 16 or
more at once; the largest fan-out here is well within that); they are not a run against
a cloud.
"""


def command(out: Path, quick: bool, with_tests: bool, stdout: TextIO) -> int:
    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sections = [[*METHOD.splitlines(), ""]]
        sections.append(time_to_platform(folder, sizes))
        sections.append(plan_speed(folder, sizes))
        sections.append(economy(folder, sizes))
        if with_tests:
            sections.append(test_suite_time())
        sections.append(latency_table())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(line for section in sections for line in section) + "\n")
    print(f"wrote {out}", file=stdout)
    return 0
