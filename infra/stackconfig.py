"""Reading stack config: from a ``Pulumi.<stack>.yaml`` file, or from the running program.

Pulumi hands a program its config as strings, objects as JSON. ``flatten`` turns a stack
file into exactly that shape, so the offline plan and ``pulumi up`` read config the
same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from infra import config as platform_config
from infra import validation

PREFIX = f"{platform_config.NAMESPACE}:"
# What `Pulumi.yaml` declares as the default of a key the model leaves unset (Pulumi
# requires every key without a default): an empty value is the same as no value.
UNSET = ""


@dataclass(frozen=True)
class StackFile:
    stack: str
    values: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


class StackFileError(Exception):
    pass


def _placeholder(key: str) -> str:
    """What a `secure:` value becomes offline: plausible, and obviously not a credential."""
    if key == f"{PREFIX}mgmtKubeconfig":
        return PLACEHOLDER_KUBECONFIG
    return f"placeholder-secret-for-{key.replace(':', '-')}"


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _replace_secure(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return _placeholder(key)
        return {k: _replace_secure(key, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(key, v) for v in value]
    return value


def _as_pulumi_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def stack_of(path: Path) -> str:
    """The stack a stack file's name implies: `Pulumi.prod.yaml` is prod's."""
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def read_stack_file(path: Path) -> StackFile:
    stack = stack_of(path)
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise StackFileError(f"{path}: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config' mapping")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if _has_secure(value):
            secret_keys.append(key)
        values[key] = _as_pulumi_string(_replace_secure(key, value))
    return StackFile(stack=stack, values=values, secret_keys=secret_keys)


def _parse(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def platform_section(values: Mapping[str, str]) -> dict[str, Any]:
    """The ``platform:`` keys, without the prefix, objects decoded; empty values left out."""
    return {
        k.removeprefix(PREFIX): _parse(v)
        for k, v in values.items()
        if k.startswith(PREFIX) and v != UNSET
    }


def load(values: Mapping[str, str]) -> validation.ValidConfig:
    return validation.load(platform_section(values), aws_provider_region=values.get("aws:region"))


def from_running_program() -> validation.ValidConfig:
    """The validated config of the stack Pulumi is running; problems stop the program.

    The language host hands a program its whole config as JSON in `PULUMI_CONFIG`, which
    `get_config_env` reads; the offline runner sets the same variable.
    """
    values = pulumi.runtime.get_config_env()
    try:
        return load({k: str(v) for k, v in values.items()})
    except validation.ConfigError as err:
        raise pulumi.RunError(f"invalid stack config:\n{err}") from None


PLACEHOLDER_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: kind-mgmt
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: cGxhY2Vob2xkZXI=
contexts:
- name: kind-mgmt
  context: {cluster: kind-mgmt, user: kind-mgmt}
current-context: kind-mgmt
users:
- name: kind-mgmt
  user: {token: placeholder}
"""
