"""`platform graph`: the platform at a glance, from a stack's config.

Management cluster -> workload clusters (grouped by cloud and region) -> apps ->
global hostnames, plus the database's credentials flowing through AWS Secrets Manager
to the clusters that run database apps. One model, written as Mermaid text and as
Graphviz DOT rendered to SVG by `dot`.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from infra import naming
from infra.validation import ValidConfig
from platform_cli.plan import InvalidConfigError, read_valid


@dataclass
class Topology:
    title: str
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (label, kind)
    groups: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (label, members)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # from, to, label, style


def _id(*parts: str) -> str:
    return "_".join(p.replace("-", "_").replace(".", "_") for p in parts)


def topology(valid: ValidConfig) -> Topology:
    config, where = valid.config, valid.placement
    mgmt = config.mgmt_cluster
    graph = Topology(title=f"{config.environment}: {config.domain}")
    graph.nodes["mgmt"] = (f"mgmt\nArgo CD\n{mgmt.provider} {mgmt.region}", "control")
    graph.nodes["argocd_host"] = (naming.argocd_host(config.domain), "hostname")
    graph.edges.append(("mgmt", "argocd_host", "", "solid"))
    for cluster in config.enabled_clusters:
        group = _id("group", cluster.provider, cluster.region)
        label = f"{cluster.provider} {cluster.region}"
        graph.groups.setdefault(group, (label, []))[1].append(_id("cluster", cluster.name))
        graph.nodes[_id("cluster", cluster.name)] = (f"{cluster.name}", "cluster")
        graph.edges.append(("mgmt", _id("cluster", cluster.name), "ApplicationSets", "solid"))
    for app in config.apps:
        node = _id("app", app.name)
        graph.nodes[node] = (f"{app.name}{' (db)' if app.database else ''}", "app")
        for placed in where[app.name]:
            graph.edges.append((_id("cluster", placed), node, "", "solid"))
        if app.public:
            host = _id("host", app.name)
            graph.nodes[host] = (naming.app_host(app.name, config.domain), "hostname")
            graph.edges.append((node, host, "Cloudflare LB", "solid"))
        for dep in app.depends_on:
            graph.edges.append((node, _id("app", dep), "calls", "dashed"))
    if config.database is not None:
        graph.nodes["db"] = (
            f"{config.database.name}\n{config.database.engine} {config.database.version}",
            "data",
        )
        secrets = naming.secrets_prefix(config.environment)
        graph.nodes["aws"] = (f"AWS Secrets Manager\n{secrets}/*", "data")
        graph.edges.append(("db", "aws", "credentials", "dotted"))
        for name in where.database_clients:
            graph.edges.append(("aws", _id("cluster", name), "ExternalSecret", "dotted"))
    return graph


MERMAID_SHAPES = {
    "control": "[[{}]]",
    "cluster": "[{}]",
    "app": "({})",
    "hostname": ">{}]",
    "data": "[({})]",
}
MERMAID_ARROWS = {"solid": "-->", "dashed": "-.->", "dotted": "-.->"}


def to_mermaid(graph: Topology) -> str:
    lines = ["flowchart LR", f"  %% {graph.title}"]
    for group, (label, members) in sorted(graph.groups.items()):
        lines.append(f'  subgraph {group}["{label}"]')
        lines += [f"    {member}" for member in members]
        lines.append("  end")
    for node, (label, kind) in graph.nodes.items():
        text = '"' + label.replace("\n", "<br/>") + '"'
        lines.append(f"  {node}{MERMAID_SHAPES[kind].format(text)}")
    for source, target, label, style in graph.edges:
        arrow = MERMAID_ARROWS[style]
        lines.append(
            f"  {source} {arrow}|{label}| {target}" if label else f"  {source} {arrow} {target}"
        )
    return "\n".join(lines) + "\n"


DOT_SHAPES = {
    "control": 'shape=box3d style=filled fillcolor="#ffe8a3"',
    "cluster": 'shape=box style="rounded,filled" fillcolor="#d7e8ff"',
    "app": 'shape=ellipse style=filled fillcolor="#dff5dd"',
    "hostname": 'shape=note style=filled fillcolor="#f4f4f4"',
    "data": 'shape=cylinder style=filled fillcolor="#f9d9d9"',
}


def _dot_text(value: str) -> str:
    return '"' + value.replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Topology) -> str:
    lines = [
        "digraph platform {",
        f"  label={_dot_text(graph.title)}; labelloc=t; rankdir=LR; fontname=Helvetica;",
        "  node [fontname=Helvetica fontsize=11]; edge [fontname=Helvetica fontsize=9];",
    ]
    for group, (label, members) in sorted(graph.groups.items()):
        lines.append(f"  subgraph cluster_{group} {{ label={_dot_text(label)}; style=dashed;")
        lines += [f"    {member};" for member in members]
        lines.append("  }")
    for node, (label, kind) in graph.nodes.items():
        lines.append(f"  {node} [label={_dot_text(label)} {DOT_SHAPES[kind]}];")
    for source, target, label, style in graph.edges:
        attributes = f"style={style}" + (f" label={_dot_text(label)}" if label else "")
        lines.append(f"  {source} -> {target} [{attributes}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str, target: Path) -> None:
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError(
            "Graphviz `dot` is not installed (Debian: apt-get install graphviz)"
        )
    subprocess.run([dot, "-Tsvg", "-o", str(target)], input=dot_source, text=True, check=True)


def command(path: Path, out: Path, stdout: TextIO, stderr: TextIO) -> int:
    try:
        stack_file, valid, notes = read_valid(path)
    except InvalidConfigError as err:
        return err.report(stderr)
    for note in notes:
        print(note, file=stderr)
    graph = topology(valid)
    out.mkdir(parents=True, exist_ok=True)
    mermaid = out / f"topology-{stack_file.stack}.mmd"
    mermaid.write_text(to_mermaid(graph))
    dot_file = out / f"topology-{stack_file.stack}.dot"
    dot_file.write_text(to_dot(graph))
    print(f"wrote {mermaid}", file=stdout)
    print(f"wrote {dot_file}", file=stdout)
    try:
        render_svg(to_dot(graph), out / f"topology-{stack_file.stack}.svg")
    except FileNotFoundError as err:
        print(f"warning: {err}; the SVG was not rendered", file=stderr)
        return 0
    print(f"wrote {out / f'topology-{stack_file.stack}.svg'}", file=stdout)
    return 0
