"""`Pulumi.yaml` declares every `platform:` key, generated from the pydantic model."""

from __future__ import annotations

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
