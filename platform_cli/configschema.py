"""`platform config-schema`: the `config:` block of `Pulumi.yaml`, generated from the model.

`infra/config.py` (pydantic) is the single source of the `platform:` keys. This module
derives Pulumi's project-level config declarations from it, so `pulumi config` and
`pulumi preview` know every key, its type and its description, and a stack that misses a
required key fails before the program runs.

What Pulumi's project file allows shapes the output (its schema, `project.json` in
pulumi/pulumi, and `mergeConfig` in `sdk/go/common/workspace/config.go`):

- `type` is one of `string`, `integer`, `boolean`, `array` or `object` (since pulumi
  v3.187.0); an `array` needs `items`, whose type is again one of those. Pulumi checks
  only that an object is a mapping; the program checks its keys (with every problem
  named at once).
- `secret: true` is checked after defaults are applied, so only a required key can
  carry it; an optional secret says so in its description.
- A key without `default` is required in every stack. A key the model leaves unset by
  default (`database`, `delivery`, `mgmtKubeconfig`, `observability`) is declared with
  `default: ""`, which `infra.stackconfig` reads as "not set".
- A typed key's default must have that type (`Project.Validate`, see
  `platform_cli.project_file`), or every `pulumi` command refuses the project file. ""
  is no boolean, so a key whose default is "unset" declares no type unless it is a
  string; its description names the type instead.
- A `default` is handed to the program as if the stack had set it, so defaults here are
  exactly the model's defaults.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import BaseModel

from infra.config import PlatformConfig
from infra.stackconfig import UNSET
from platform_cli.project_file import project_problems, schema_problems, valid_value

PULUMI_TYPES = ("string", "integer", "boolean", "array", "object")
_DESCRIBED = {"boolean": "true or false", "object": "a mapping"}
MARKER = (
    "# Generated from infra/config.py by `platform config-schema --write`; do not edit by hand."
)

# What each key means, for keys whose model field has no description of its own (a
# `Field(description=...)` in the model wins). Sub-keys, allowed values and defaults
# are added from the model itself.
DESCRIPTIONS: dict[str, str] = {
    "environment": "The stack's environment, a DNS label; prod* turns on protection defaults.",
    "domain": "Base domain, a Cloudflare zone.",
    "acmeEmail": "Let's Encrypt account contact: expiry and revocation notices go here.",
    "cloudflare": "The Cloudflare account, the zone of `domain`, its plan and add-ons.",
    "awsRegion": "AWS region where secrets live; must equal aws:region when that is set.",
    "adminCidrs": "CIDRs that may reach the Kubernetes APIs; 0.0.0.0/0 is rejected.",
    "mgmtCluster": "The management cluster that runs Argo CD.",
    "trafficController": "The Gateway or Ingress controller on every cluster.",
    "chartVersions": "Map chart -> version, overriding a pin from infra/versions.py.",
    "clusters": "Workload clusters, each a mgmtCluster-style entry plus name and labels.",
    "database": "The shared database (optional).",
    "apps": "Applications placed on workload clusters by label.",
    "loadBalancing": "Cloudflare load balancing: monitors, steering, check regions, origin lockdown.",
    "civoAccount": "The Civo account the stack uses and its quota (checked across stacks).",
    "drain": "Cluster names taken out of every load-balancer pool (failover drill).",
    "delivery": "What runs `pulumi preview` and `up` for this stack: GitHub Actions or Pulumi Deployments (optional).",
    "observability": "Prometheus, Alertmanager and Grafana for every cluster; unset: on in prod.",
    "cost": "OpenCost on every cluster, feeding the platform's Prometheus; unset: as observability.",
    "mgmtKubeconfig": "Kubeconfig of an existing management cluster (provider: existing).",
}


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`, and unwrap `X | None` to X."""
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    options = schema.get("anyOf")
    if options:
        concrete = [o for o in options if o.get("type") != "null"]
        if len(concrete) == 1:
            return _resolve({**schema, **concrete[0], "anyOf": None}, defs)
    return schema


def _object_keys(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """The keys an object (or any of a union's branches) accepts, in model order."""
    schema = _resolve(schema, defs)
    keys: list[str] = []
    for branch in schema.get("oneOf") or schema.get("anyOf") or [schema]:
        for key in _resolve(branch, defs).get("properties", {}):
            if key not in keys:
                keys.append(key)
    return keys


def _kind(schema: dict[str, Any], defs: dict[str, Any]) -> str | None:
    """The JSON type of a field: a union of models (a cluster of any provider) is an object."""
    schema = _resolve(schema, defs)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if "type" not in schema and branches:
        kinds = {_kind(branch, defs) for branch in branches}
        return kinds.pop() if len(kinds) == 1 else None
    kind = schema.get("type")
    return str(kind) if kind is not None else None


def _items(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """Pulumi's `items` for an array's items; None where they have no one type."""
    kind = _kind(schema, defs)
    if kind == "array":
        inner = _items(_resolve(schema, defs).get("items", {}), defs)
        return {"type": "array", "items": inner} if inner else None
    if kind in PULUMI_TYPES:
        return {"type": kind}
    return None


def _base_description(key: str, field_schema: dict[str, Any], defs: dict[str, Any]) -> str:
    own = field_schema.get("description") or _resolve(field_schema, defs).get("description")
    return str(own or DESCRIPTIONS.get(key, ""))


def _declaration(
    key: str, field_schema: dict[str, Any], required: bool, default: Any, defs: dict[str, Any]
) -> dict[str, Any]:
    schema = _resolve(field_schema, defs)
    description = _base_description(key, field_schema, defs)
    kind = _kind(schema, defs)
    declaration: dict[str, Any] = {"type": kind} if kind in PULUMI_TYPES else {}
    if kind == "array":
        items = _items(schema["items"], defs)
        declaration = {"type": "array", "items": items} if items is not None else {}
        if _kind(schema["items"], defs) == "object":
            description += f" Each entry: {', '.join(_object_keys(schema['items'], defs))}."
    elif "enum" in schema:
        description += f" One of: {', '.join(str(v) for v in schema['enum'])}."
    elif kind == "object" and not isinstance(schema.get("additionalProperties"), dict):
        description += f" Keys: {', '.join(_object_keys(schema, defs))}."
    if schema.get("format") == "password":
        # Pulumi checks `secret` after applying defaults, so an optional key cannot be
        # declared secret: its (plain, empty) default would fail the check.
        if required:
            declaration["secret"] = True
        description += " A secret: set it with `pulumi config set --secret`."
    if not required:
        declaration["default"] = UNSET if default is None else default
        typed = declaration.get("type")
        if typed is not None and not valid_value(
            typed, declaration.get("items"), declaration["default"]
        ):
            # Pulumi would refuse this default; the program checks the type instead.
            del declaration["type"]
            declaration.pop("items", None)
            if typed != "object":  # its keys are listed already
                description += f" Takes {_DESCRIBED.get(typed, 'a ' + typed)}."
    declaration["description"] = description.strip()
    return {
        k: declaration[k]
        for k in ("type", "items", "secret", "description", "default")
        if k in declaration
    }


def config_block(model: type[BaseModel] = PlatformConfig) -> dict[str, dict[str, Any]]:
    """Pulumi project config declarations for every top-level field of ``model``."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    block: dict[str, dict[str, Any]] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump(mode="json", by_alias=True)
        block[key] = _declaration(key, schema["properties"][key], key in required, default, defs)
    return block


def render(block: dict[str, dict[str, Any]]) -> str:
    body = yaml.safe_dump({"config": block}, sort_keys=False, width=1000, allow_unicode=True)
    return f"{MARKER}\n{body}"


def project_file_with(text: str, block: dict[str, dict[str, Any]]) -> str:
    """`Pulumi.yaml` text with its generated `config:` block replaced (or appended)."""
    head = text.split(MARKER, 1)[0]
    head = head.split("\nconfig:", 1)[0].rstrip("\n") + "\n"
    return head + render(block)


def drift(project_file: Path, model: type[BaseModel] = PlatformConfig) -> list[str]:
    """Why `Pulumi.yaml` and the model disagree, or the Pulumi CLI would refuse the file;
    empty when neither."""
    document = yaml.safe_load(project_file.read_text()) or {}
    declared: dict[str, Any] = document.get("config") or {}
    expected = config_block(model)
    problems = [
        f"platform:{key}: not declared in {project_file.name}"
        for key in expected
        if key not in declared
    ]
    problems += [
        f"platform:{key}: declared in {project_file.name} but not a field of the model"
        for key in declared
        if key not in expected
    ]
    problems += [
        f"platform:{key}: {project_file.name} says {declared[key]!r}, the model says {value!r}"
        for key, value in expected.items()
        if key in declared and declared[key] != value
    ]
    schema = model.model_json_schema(by_alias=True)
    problems += [
        f"platform:{key}: no description (add it to the model's Field or to DESCRIPTIONS)"
        for key, field_schema in schema["properties"].items()
        if not _base_description(key, field_schema, schema.get("$defs", {}))
    ]
    for key, value in expected.items():
        if value.get("type") not in (None, *PULUMI_TYPES):
            problems.append(f"platform:{key}: type {value['type']!r} is not one Pulumi accepts")
    problems += [f"pulumi refuses {project_file.name}: {p}" for p in project_problems(document)]
    return problems


def _schema_problems(project_file: Path, document: dict[str, Any]) -> list[str]:
    """The CLI's JSON schema, where it lies beside the checkout and jsonschema is installed
    (the tests check it always)."""
    schema_file = (
        project_file.resolve().parent.parent / "shared" / "upstream" / "pulumi" / "project.json"
    )
    if not schema_file.is_file() or importlib.util.find_spec("jsonschema") is None:
        return []
    return schema_problems(document, json.loads(schema_file.read_text()))


def command(project_file: Path, write: bool, check: bool, stdout: TextIO = sys.stdout) -> int:
    block = config_block()
    if write:
        text = project_file_with(project_file.read_text(), block)
        document = yaml.safe_load(text)
        refused = project_problems(document) + _schema_problems(project_file, document)
        for problem in refused:
            print(f"error: pulumi would refuse {project_file.name}: {problem}", file=stdout)
        if refused:
            print(f"not written: {project_file}", file=stdout)
            return 2
        project_file.write_text(text)
        print(f"wrote the config block of {project_file}", file=stdout)
        return 0
    if check:
        problems = drift(project_file)
        for problem in problems:
            print(f"drift: {problem}", file=stdout)
        if problems:
            print("run `platform config-schema --write` to regenerate it", file=stdout)
        return 1 if problems else 0
    print(render(block), end="", file=stdout)
    return 0
