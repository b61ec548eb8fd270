"""`Pulumi.yaml` declares every `platform:` key, generated from the pydantic model."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import create_model

from infra.config import PlatformConfig
from infra.stackconfig import load, read_stack_file
from platform_cli import main
from platform_cli.configschema import PULUMI_TYPES, config_block, drift, project_file_with
from platform_cli.project_file import project_problems, stack_problems
from platform_cli.runner import PROJECT_DIR

PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"


def test_pulumi_yaml_declares_every_platform_key_as_the_model_says() -> None:
    assert drift(PROJECT_FILE) == []
    declared = yaml.safe_load(PROJECT_FILE.read_text())["config"]
    aliases = {f.alias or n for n, f in PlatformConfig.model_fields.items()}
    assert set(declared) == aliases


def test_a_model_field_added_without_regenerating_is_drift(tmp_path: Path) -> None:
    grown = create_model("GrownConfig", __base__=PlatformConfig, cost_center=(str, "platform"))
    problems = drift(PROJECT_FILE, grown)
    assert problems == [
        "platform:costCenter: not declared in Pulumi.yaml",
        "platform:costCenter: no description (add it to the model's Field or to DESCRIPTIONS)",
    ]
    # Regenerating declares it; the description is still missing until someone writes one.
    regenerated = tmp_path / "Pulumi.yaml"
    regenerated.write_text(project_file_with(PROJECT_FILE.read_text(), config_block(grown)))
    assert drift(regenerated, grown) == [problems[1]]


def test_a_hand_edit_of_the_block_is_drift(tmp_path: Path) -> None:
    document = PROJECT_FILE.read_text().replace("default: envoy-gateway", "default: ingress-nginx")
    edited = tmp_path / "Pulumi.yaml"
    edited.write_text(document)
    assert [p.split(":")[1] for p in drift(edited)] == ["trafficController"]
    assert main(["config-schema", "--check"]) == 0


def test_declarations_are_ones_pulumi_accepts() -> None:
    """Pulumi's project schema: type in string/integer/boolean/array, arrays with items,
    no object type; a key without default is required in every stack."""
    required = set(PlatformConfig.model_json_schema(by_alias=True)["required"])
    for key, declaration in config_block().items():
        assert set(declaration) <= {"type", "items", "description", "default", "secret"}, key
        assert declaration.get("type") in (None, *PULUMI_TYPES), key
        if declaration.get("type") == "array":
            assert declaration["items"]["type"] in PULUMI_TYPES, key
        assert ("default" not in declaration) == (key in required), key
        assert not (declaration.get("secret") and "default" in declaration), key


def _pulumi_merge(stack_values: dict[str, str]) -> dict[str, str]:
    """What Pulumi hands the program: the stack's values, then the project defaults for
    the keys the stack leaves out (objects and lists as JSON)."""
    merged = dict(stack_values)
    for key, declaration in config_block().items():
        full = f"platform:{key}"
        if full not in merged and "default" in declaration:
            value: Any = declaration["default"]
            merged[full] = value if isinstance(value, str) else json.dumps(value)
    return merged


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_defaults_pulumi_applies_change_nothing(stack: str) -> None:
    values = read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml").values
    required = {k for k, d in config_block().items() if "default" not in d}
    assert {f"platform:{k}" for k in required} <= values.keys()
    assert load(_pulumi_merge(values)) == load(values)


# --- what the Pulumi CLI itself accepts (platform_cli/project_file.py cites its lines) ---


@pytest.fixture(scope="module")
def project_schema(upstream: Path) -> dict[str, Any]:
    """The JSON schema the CLI ships: pulumi/pulumi sdk/go/common/workspace/project.json."""
    schema: dict[str, Any] = json.loads((upstream / "pulumi" / "project.json").read_text())
    return schema


def _schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    validator = Draft202012Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("project_file", ["Pulumi.yaml", "deployments/Pulumi.yaml"])
def test_the_project_file_passes_the_clis_schema_and_validate(
    project_schema: dict[str, Any], project_file: str
) -> None:
    """`pulumi` loads Pulumi.yaml through the schema (project.go L596, ValidateProject) and
    then `Project.Validate` (loaders.go L141, project.go L837-887): a refusal there stops
    every command, preview and up included, before the program runs."""
    document = yaml.safe_load((PROJECT_DIR / project_file).read_text())
    assert _schema_errors(project_schema, document) == []
    assert project_problems(document) == []


def test_a_typed_key_whose_default_has_another_type_is_refused(
    project_schema: dict[str, Any],
) -> None:
    """The schema accepts any default; only `Project.Validate` (project.go L858-864)
    compares it with the declared type, as the CLI's own message says."""
    document = {
        "name": "platform",
        "runtime": "python",
        "config": {
            "observability": {"type": "boolean", "default": ""},
            "replicas": {"type": "integer", "default": "three"},
            "zones": {"type": "array", "items": {"type": "string"}, "default": [1]},
            "name": {"type": "string", "default": ""},
        },
    }
    assert _schema_errors(project_schema, document) == []
    assert project_problems(document) == [
        "The default value specified for configuration key 'observability' is not of the "
        "expected type 'boolean'",
        "The default value specified for configuration key 'replicas' is not of the "
        "expected type 'integer'",
        "The default value specified for configuration key 'zones' is not of the "
        "expected type 'array<string>'",
    ]


def test_keys_of_other_namespaces_take_values_not_types() -> None:
    """project.go L867-884: `aws:region` in a project file is a value, never a type."""
    document = {
        "name": "platform",
        "config": {
            "aws:region": {"type": "string"},
            "civo:region": {"default": "LON1"},
            "vultr:region": {"description": "no value"},
            "platform:tiers": {"type": "array"},
        },
    }
    assert project_problems(document) == [
        "Configuration key 'aws:region' is not namespaced by the project and should not "
        "define a type",
        "Configuration key 'civo:region' is not namespaced by the project and should not "
        "define a default value.",
        "Configuration key 'vultr:region' is namespaced and must provide an attribute 'value'",
        "The configuration key 'platform:tiers' declares an array but does not specify the "
        "underlying type via the 'items' attribute",
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_stack_file_passes_the_clis_config_checks(stack: str) -> None:
    """pkg/workspace/config.go: no required key missing (L56-63, L319-324), every typed
    key's value of its type (L145-152), every secret key encrypted (L128-133)."""
    project = yaml.safe_load(PROJECT_FILE.read_text())
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    assert stack_problems(project, stack, document["config"], "environment" in document) == []


def test_a_stack_value_of_another_type_is_refused() -> None:
    project = yaml.safe_load(PROJECT_FILE.read_text())
    values = {
        **yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"],
        "platform:adminCidrs": "203.0.113.0/24",
    }
    del values["platform:domain"]
    assert stack_problems(project, "dev", values, has_environment=False) == [
        "Stack 'dev' with configuration key 'adminCidrs' must be of type 'array<string>'",
        "Stack 'dev' is missing configuration value 'domain'",
    ]


def test_config_schema_writes_only_what_pulumi_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model whose generated block the CLI would refuse is not written: the generator
    drops the type of a key whose default is not of it, so force one it cannot mend."""
    from platform_cli import configschema  # noqa: PLC0415

    target = tmp_path / "Pulumi.yaml"
    target.write_text(PROJECT_FILE.read_text())
    refused = {"tiers": {"type": "array", "description": "no items"}}
    monkeypatch.setattr(configschema, "config_block", lambda: refused)
    out = io.StringIO()
    assert configschema.command(target, write=True, check=False, stdout=out) == 2
    assert target.read_text() == PROJECT_FILE.read_text()
    assert "declares an array but does not specify the underlying type" in out.getvalue()
