"""Reading stack config: from a ``Pulumi.<stack>.yaml`` file, or from the running program.

Pulumi hands a program its config as strings, objects as JSON. ``flatten`` turns a stack
file into exactly that shape, so the offline plan and ``pulumi up`` read config the
same way.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from infra import config as platform_config
from infra import validation
from infra.config_paths import did_you_mean

PREFIX = f"{platform_config.NAMESPACE}:"
# What `Pulumi.yaml` declares as the default of a key the model leaves unset (Pulumi
# requires every key without a default): an empty value is the same as no value.
UNSET = ""


@dataclass(frozen=True)
class StackFile:
    stack: str
    values: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    # The stack imports a Pulumi ESC environment, which may supply more config.
    has_environment: bool = False


class StackFileError(Exception):
    """A stack file that cannot be read as one: each problem names the file."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))


def _placeholder(key: str, ciphertext: Any) -> str:
    """What a `secure:` value becomes offline: plausible, obviously not a credential, and
    different for a different ciphertext, so a rotated secret changes what it feeds."""
    digest = hashlib.sha256(json.dumps(ciphertext, sort_keys=True).encode()).hexdigest()[:12]
    if key == f"{PREFIX}mgmtKubeconfig":
        return f"{PLACEHOLDER_KUBECONFIG}# {digest}\n"
    return f"placeholder-secret-for-{key.replace(':', '-')}-{digest}"


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _replace_secure(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return _placeholder(key, value["secure"])
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


class _DuplicateKeyError(Exception):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(
            f"line {line}: duplicate key {key!r} (first on line {first}); keep one of them"
        )


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping that refuses a key given twice: plain YAML keeps the last one silently."""
    first_line: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in first_line:
            raise _DuplicateKeyError(key, key_node.start_mark.line + 1, first_line[key])
        first_line[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node)


class _StackFileLoader(yaml.SafeLoader):
    pass


_StackFileLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,
)


def existing_stacks(folder: Path) -> list[str]:
    return sorted(stack_of(p) for p in folder.glob(stack_file_name("*")))


def _unclosed_quote(text: str, before: int) -> tuple[int, int] | None:
    """(line, column), 0-based, of the first double quote left open on its own line
    before line ``before``: YAML lets a quoted value run on over the next lines, so the
    parser stumbles only later, somewhere else."""
    for number, line in enumerate(text.splitlines()[: before + 1]):
        if line.lstrip().startswith("#"):
            continue
        quotes = [i for i, c in enumerate(line) if c == '"' and line[i - 1 : i] != "\\"]
        if len(quotes) % 2:
            return number, quotes[-1]
    return None


def yaml_error(err: yaml.YAMLError, text: str) -> str:
    """A parser error as one line: where, what, and what to do. PyYAML's own message
    spans several lines, names `<unicode string>` and says nothing of the fix."""
    if not isinstance(err, yaml.MarkedYAMLError) or err.problem_mark is None:
        return str(err)
    mark, problem, context = err.problem_mark, err.problem or "", err.context or ""
    quote = _unclosed_quote(text, mark.line)
    if quote is not None:
        line, column = quote
        return f"line {line + 1}, column {column + 1}: a quote that is never closed; close it"
    if "'\\t'" in problem:
        what = "a tab character; YAML indents with spaces only: replace the tab with spaces"
    elif context.startswith("while parsing a flow") and err.context_mark is not None:
        mark = err.context_mark
        what = f"a bracket that is never closed ({problem}); close it on this line"
    elif problem == "mapping values are not allowed here":
        what = "a second ': ' in one value; quote the value"
    elif "<block end>" in problem or "<block mapping start>" in problem:
        what = "this line is indented like no key above it; line it up with its neighbours"
    else:
        what = f"{problem} {context}".strip() + "; check the indentation and quoting here"
    return f"line {mark.line + 1}, column {mark.column + 1}: {what}"


def _document(path: Path) -> Any:
    try:
        text = path.read_text()
        return yaml.load(text, Loader=_StackFileLoader) or {}
    except FileNotFoundError:
        stacks = ", ".join(existing_stacks(path.parent)) or "none"
        raise StackFileError(f"{path}: no such stack file; stacks here: {stacks}") from None
    except yaml.YAMLError as err:
        raise StackFileError(f"{path}: {yaml_error(err, text)}") from None
    except (OSError, _DuplicateKeyError) as err:
        raise StackFileError(f"{path}: {err}") from None


# What a stack file may hold besides `config:` (pulumi/pulumi
# sdk/go/common/workspace/project.go `ProjectStack`); the CLI reads the file into that
# struct, so any other top-level key, a setting one indent too far left included, is
# silently ignored.
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


def _misplaced_keys(path: Path, document: dict[Any, Any]) -> list[str]:
    """Top-level keys Pulumi would ignore, each with its line and what to do."""
    text = path.read_text()
    found = []
    for key in document:
        if key in STACK_FILE_KEYS:
            continue
        at = re.search(rf"^['\"]?{re.escape(str(key))}['\"]?\s*:", text, re.MULTILINE)
        where = f"line {text.count(chr(10), 0, at.start()) + 1}: " if at else ""
        if ":" in str(key):
            found.append(
                f"{path}: {where}{str(key)!r} is beside 'config:', not under it, so Pulumi "
                "would ignore it; indent it by two spaces, under 'config:'"
            )
        else:
            found.append(
                f"{path}: {where}unknown top-level key {str(key)!r}, which Pulumi would "
                f"ignore; a stack file holds {', '.join(STACK_FILE_KEYS)}"
                + did_you_mean(str(key), list(STACK_FILE_KEYS))
            )
    return found


def read_stack_file(path: Path) -> StackFile:
    stack = stack_of(path)
    document = _document(path)
    if isinstance(document, dict) and "config" not in document:
        written = next((k for k in document if ":" in str(k)), None)
        if written is not None:
            raise StackFileError(
                f"{path}: {written!r} is at the top level; stack settings belong under "
                "a top-level 'config:' mapping"
            )
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config' mapping")
    misplaced = _misplaced_keys(path, document)
    if misplaced:
        raise StackFileError(*misplaced)
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if _has_secure(value):
            secret_keys.append(key)
        values[key] = _as_pulumi_string(_replace_secure(key, value))
    return StackFile(
        stack=stack,
        values=values,
        secret_keys=secret_keys,
        has_environment="environment" in document,
    )


# Keys that hold a credential: in a stack file they must be `secure:` values, which
# Pulumi encrypts. (`pulumi config set --secret <key>` writes them so.)
CREDENTIAL_KEYS = (
    "civo:token",
    "vultr:apiKey",
    "cloudflare:apiToken",
    "aws:accessKey",
    "aws:secretKey",
    "pulumiservice:accessToken",
    f"{PREFIX}mgmtKubeconfig",
    # Receivers' keys and URLs, and the dead man's switch URL.
    f"{PREFIX}alerting",
)
# The Pulumi Cloud provider's namespace: stacks of earlier versions defined their own
# Deployments settings with it; none of the program's resources uses it now.
UNUSED_NAMESPACE = "pulumiservice"
# The namespaces this program's stacks use (or used); a key in a namespace one typo away
# from one of these is a mistake, not another provider's setting.
NAMESPACES = (
    platform_config.NAMESPACE,
    "aws",
    "civo",
    "vultr",
    "cloudflare",
    "pulumiservice",
    "kubernetes",
    "postgresql",
    "random",
    "pulumi",
)


def stack_problems(
    values: Mapping[str, str], secret_keys: Collection[str]
) -> list[validation.Problem]:
    """Problems with the stack file's keys themselves, beyond the `platform:` model."""
    problems = [
        validation.Problem(
            key,
            "a credential in plain text; remove it and run "
            f"`pulumi config set --secret {key}`, which stores it encrypted",
        )
        for key in CREDENTIAL_KEYS
        if values.get(key, UNSET) != UNSET and key not in secret_keys
    ]
    for key in values:
        namespace, _, rest = key.partition(":")
        if namespace == UNUSED_NAMESPACE:
            problems.append(
                validation.Problem(
                    key,
                    "no resource of the platform's stacks uses it (Deployments settings live "
                    "in deployments/, whose own stack holds its token), and every preview "
                    f"decrypts it: `pulumi config rm {key}` "
                    "(docs/runbooks/change-delivery-path.md)",
                )
            )
        close = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.75)
        if namespace not in NAMESPACES and close:
            problems.append(
                validation.Problem(
                    key, f"unknown namespace {namespace!r}; did you mean '{close[0]}:{rest}'?"
                )
            )
    return problems


# How each cloud's provider can be given its credential: config keys (all of one tuple
# together), or variables where `pulumi up` runs. Sources: terraform-provider-civo v1.1.4
# civo/provider.go L45-57 and getToken L165-196 (token, credentials_file, CIVO_TOKEN,
# CIVO_CREDENTIAL_FILE, then ~/.civo.json); terraform-provider-vultr v2.27.1
# vultr/provider.go (api_key, VULTR_API_KEY); pulumi-cloudflare 6.x config (apiToken,
# or apiKey with email, or apiUserServiceKey; CLOUDFLARE_API_TOKEN, CLOUDFLARE_API_KEY).
PROVIDER_CREDENTIALS: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]] = {
    "civo": ((("civo:token",), ("civo:credentialsFile",)), ("CIVO_TOKEN", "CIVO_CREDENTIAL_FILE")),
    "vultr": ((("vultr:apiKey",),), ("VULTR_API_KEY",)),
    "cloudflare": (
        (
            ("cloudflare:apiToken",),
            ("cloudflare:apiKey", "cloudflare:email"),
            ("cloudflare:apiUserServiceKey",),
        ),
        ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY"),
    ),
}


def clouds_used(config: platform_config.PlatformConfig) -> dict[str, str]:
    """Each cloud the stack's resources live on, with the config key that puts them there.
    Disabled clusters count: `up` needs the provider to delete them."""
    used = {"cloudflare": "platform:cloudflare"}
    for index, cluster in reversed(list(enumerate(config.clusters))):
        used[cluster.provider] = f"platform:clusters[{index}]({cluster.name}).provider"
    if config.database is not None:
        used["civo"] = "platform:database"
    used[config.mgmt_cluster.provider] = "platform:mgmtCluster.provider"
    return {cloud: key for cloud, key in used.items() if cloud in PROVIDER_CREDENTIALS}


def missing_credentials(
    config: platform_config.PlatformConfig, values: Mapping[str, str], environ: Mapping[str, str]
) -> list[validation.Problem]:
    """A cloud the stack uses whose provider has no credential: `up` would stop there, after
    every resource of the other clouds it could already create."""
    problems = []
    for cloud, because in sorted(clouds_used(config).items()):
        keys, variables = PROVIDER_CREDENTIALS[cloud]
        given = any(all(values.get(k, UNSET) != UNSET for k in group) for group in keys)
        if given or any(environ.get(v) for v in variables):
            continue
        key = keys[0][0]
        problems.append(
            validation.Problem(
                key,
                f"not set, and {because} puts resources on {cloud}: run "
                f"`pulumi config set --secret {key}` (or import an ESC environment that "
                f"sets it, or set {variables[0]} where `pulumi up` runs)",
            )
        )
    return problems


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


def secret_settings(secret_keys: Collection[str]) -> list[validation.Problem]:
    """`platform:` settings stored as secrets that hold no credential: offline their
    value is a placeholder, so the checks could only report on the placeholder."""
    return [
        validation.Problem(
            key,
            "a secret value, but it is no credential and a secret cannot be checked before "
            f"`up`: set it in plain text with `pulumi config set {key} <value>`",
        )
        for key in sorted(secret_keys)
        if key.startswith(PREFIX) and key not in CREDENTIAL_KEYS
    ]


def _about(problem: validation.Problem, keys: Collection[str]) -> bool:
    return any(problem.path == k or problem.path.startswith((f"{k}.", f"{k}[")) for k in keys)


def load(
    values: Mapping[str, str],
    secret_keys: Collection[str] | None = None,
    *,
    credentials: bool = False,
    offline: bool = False,
) -> validation.ValidConfig:
    """The validated config; with ``secret_keys`` (the keys Pulumi holds as secrets) the
    stack's keys are checked too, and with ``credentials`` every cloud it uses must have
    its credential. Only the offline commands ask for that: at `up` the providers say so
    themselves, and may find credentials this check cannot see. ``offline``: secret
    values are placeholders, so a setting stored as a secret is refused rather than
    checked."""
    problems = stack_problems(values, secret_keys) if secret_keys is not None else []
    hidden = secret_settings(secret_keys or ()) if offline else []
    problems += hidden
    try:
        valid = validation.load(
            platform_section(values), aws_provider_region=values.get("aws:region")
        )
    except validation.ConfigError as err:
        shown = [p for p in err.problems if not _about(p, [h.path for h in hidden])]
        raise validation.ConfigError([*problems, *shown]) from None
    if credentials:
        problems += missing_credentials(valid.config, values, os.environ)
    if problems:
        raise validation.ConfigError(problems)
    return valid


def from_running_program() -> validation.ValidConfig:
    """The validated config of the stack Pulumi is running; problems stop the program.

    The language host hands a program its whole config as JSON in `PULUMI_CONFIG`, which
    `get_config_env` reads; the offline runner sets the same variable.
    """
    values = pulumi.runtime.get_config_env()
    try:
        return load(
            {k: str(v) for k, v in values.items()}, pulumi.runtime.get_config_secret_keys_env()
        )
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
