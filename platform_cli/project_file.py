"""The Pulumi CLI's own checks of `Pulumi.yaml` and of a stack's config against it.

Every `pulumi` command loads the project file first, and a file the CLI refuses stops
them all before the program runs. The JSON schema the CLI ships (`project.json`) cannot
express these rules, so they are repeated here, each with the line of pulumi/pulumi that
applies it (read at 1b5949891b, the newest readable commit; the SDK pin is 3.272.0):

- `sdk/go/common/workspace/loaders.go` L141: `LoadProjectBytes` calls `Project.Validate`.
- `sdk/go/common/workspace/project.go` L837-887 `Project.Validate`, and L771-834
  `ValidateConfigValue`, the type check it applies to defaults.
- `pkg/workspace/config.go` L255-340 `mergeConfig` (a stack misses no required key;
  defaults are applied, then checked) and L120-155 `validateStackConfigValue` (a typed
  key's stack value has the type; a `secret` key's value is encrypted).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

ARRAY, INTEGER, STRING, BOOLEAN, OBJECT = "array", "integer", "string", "boolean", "object"


def _integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and value == math.trunc(value)
    if isinstance(value, str):
        return re.fullmatch(r"[+-]?[0-9]+", value) is not None  # Go's strconv.Atoi
    return isinstance(value, int)


_SCALARS: dict[str, Callable[[Any], bool]] = {
    STRING: lambda value: isinstance(value, str),
    INTEGER: _integer,
    BOOLEAN: lambda value: isinstance(value, bool) or value in ("true", "false"),
    OBJECT: lambda value: isinstance(value, dict),
}


def valid_value(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """project.go L771-834 `ValidateConfigValue`: a string is a string; an integer an int,
    a whole float or a string that parses as one; a boolean a bool or the strings "true"
    and "false"; an array a list whose items have the `items` type."""
    scalar = _SCALARS.get(type_name)
    if scalar is not None:
        return scalar(value)
    if not isinstance(value, list) or items is None:
        return False
    return all(valid_value(items.get("type", ""), items.get("items"), item) for item in value)


def type_name(type_: str, items: Mapping[str, Any] | None) -> str:
    """project.go `InferFullTypeName`: `array<string>` for an array of strings."""
    if items is not None:
        return f"array<{type_name(items.get('type', ''), items.get('items'))}>"
    return type_


def _as_stored(value: Any) -> Any:
    """A stack value as the CLI checks it: scalars as the strings it stores them as
    (`config.Value`), objects and lists as JSON decodes them (config.go L136-143)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _namespaced_by_project(project: str, key: str) -> bool:
    # project.go `configKeyIsNamespacedByProject`
    return ":" not in key or key.startswith(f"{project}:")


def _own_key_problems(key: str, declaration: Mapping[str, Any]) -> list[str]:
    """A key of the project's own namespace: project.go L850-865, config.go L316-340."""
    typed = declaration.get("type")
    items = declaration.get("items")
    has_default = declaration.get("default") is not None
    if typed == ARRAY and items is None:  # L852-855
        return [
            f"The configuration key '{key}' declares an array but does not specify the "
            "underlying type via the 'items' attribute"
        ]
    if typed is None or not has_default:
        return []
    if not valid_value(typed, items, declaration["default"]):  # L858-864
        return [
            f"The default value specified for configuration key '{key}' is not of the "
            f"expected type '{type_name(typed, items)}'"
        ]
    if declaration.get("secret"):
        # pkg/workspace/config.go L327-345 applies the plain default to every stack that
        # leaves the key unset, then L128-133 refuses it.
        return [
            f"configuration key '{key}' is secret and has a default: every stack that "
            'leaves it unset fails with "must be encrypted as it\'s secret"'
        ]
    return []


def _other_key_problems(key: str, declaration: Mapping[str, Any]) -> list[str]:
    """A key of another namespace (`aws:region`) takes a value only: L867-884."""
    if declaration.get("type") is not None:
        return [
            f"Configuration key '{key}' is not namespaced by the project and should not "
            "define a type"
        ]
    if declaration.get("default") is not None:
        return [
            f"Configuration key '{key}' is not namespaced by the project and should not "
            "define a default value."
        ]
    if declaration.get("value") is None:
        return [f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"]
    return []


def project_problems(document: Mapping[str, Any]) -> list[str]:
    """What `Project.Validate` refuses in a project file, in the CLI's own words."""
    project = document.get("name")
    if not isinstance(project, str) or not project:
        # project.go L585-592 (ValidateProject)
        return ["project is missing a non-empty string 'name' attribute"]
    config = document.get("config") or {}
    if not isinstance(config, dict):
        return []  # a string here is the deprecated stackConfigDir form
    problems: list[str] = []
    for key, declaration in config.items():
        if not isinstance(declaration, dict):
            continue  # shorthand: becomes a default (or value) of that very type
        if declaration.get("default") is not None and declaration.get("value") is not None:
            problems.append(  # L844-846
                f"project config '{key}' cannot have both a 'default' and 'value' attribute"
            )
        check = _own_key_problems if _namespaced_by_project(project, key) else _other_key_problems
        problems += check(key, declaration)
    return problems


def stack_problems(
    project: Mapping[str, Any],
    stack: str,
    values: Mapping[str, Any],
    has_environment: bool,
    secret_keys: Collection[str] = (),
) -> list[str]:
    """What `mergeConfig` refuses in one stack's config (``values``: the stack file's
    `config:` map, as YAML gives it or as Pulumi stores it, objects as JSON text; the
    ``secret_keys`` hold ciphertext, which only their type can be checked by). With an
    ESC environment the missing keys may come from it, so they are not counted."""
    name = project.get("name", "")
    declared: dict[str, Any] = project.get("config") or {}
    problems: list[str] = []
    missing: list[str] = []
    for key, declaration in sorted(declared.items()):
        if not isinstance(declaration, dict) or not _namespaced_by_project(name, key):
            continue
        full = key if ":" in key else f"{name}:{key}"
        value = values.get(full)
        if value is None:
            if declaration.get("default") is None and declaration.get("value") is None:
                missing.append(key)  # config.go L318-324
            continue
        typed = declaration.get("type")
        secure = full in secret_keys or (isinstance(value, dict) and set(value) == {"secure"})
        if typed is not None and declaration.get("secret") and not secure:  # L127-133
            problems.append(
                f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        if (
            typed is not None
            and not secure
            and not valid_value(typed, declaration.get("items"), _as_stored(value))
        ):
            problems.append(  # L145-152
                f"Stack '{stack}' with configuration key '{key}' must be of type "
                f"'{type_name(typed, declaration.get('items'))}'"
            )
    if missing and not has_environment:  # config.go L56-62
        keys = " and ".join(f"'{k}'" for k in missing)
        plural = "values" if len(missing) > 1 else "value"
        problems.append(f"Stack '{stack}' is missing configuration {plural} {keys}")
    return problems


def schema_problems(document: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What the CLI's JSON schema (`project.json`, project.go L596) refuses."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415 (a dev dependency)

    return [
        f"#/{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in Draft202012Validator(schema).iter_errors(document)
    ]
