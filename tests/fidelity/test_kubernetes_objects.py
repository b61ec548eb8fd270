"""Every Kubernetes object the program writes, against upstream CRDs or the Kubernetes API."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from jsonschema import Draft7Validator

from infra.versions import MIN_KUBERNETES_VERSION
from platform_cli.runner import Registration
from tests.fidelity.upstream import crd_schemas
from tests.planview import PlanView


def strict(schema: Any) -> Any:
    """The CRD schema with unknown fields rejected.

    The API server prunes fields a structural schema does not list: accepted, then
    silently dropped. For us that is a bug all the same, so the test rejects them.
    """
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in result
        and "additionalProperties" not in result
        and not result.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def group_version_kind(resource: Registration) -> tuple[str, str, str]:
    # Type tokens look like kubernetes:cert-manager.io/v1:ClusterIssuer or kubernetes:core/v1:Secret.
    # A patch's type ends in `Patch` (kubernetes:argoproj.io/v1alpha1:AppProjectPatch); its
    # `kind` input names the object it applies to.
    _, group_version, kind = resource.type.split(":")
    group, _, version = group_version.rpartition("/")
    return group, version, str(resource.revealed_inputs.get("kind", kind))


def is_custom(resource: Registration) -> bool:
    group = group_version_kind(resource)[0]
    return ("." in group and not group.endswith(".k8s.io")) or group == "gateway.networking.k8s.io"


def as_object(resource: Registration) -> dict[str, Any]:
    document = copy.deepcopy(resource.revealed_inputs)
    document.setdefault("metadata", {}).setdefault("name", resource.name)
    return document


def test_every_custom_resource_validates_against_its_crd(
    any_plan: PlanView, upstream: Path
) -> None:
    schemas = crd_schemas(upstream)
    custom = [r for r in any_plan.kubernetes_objects() if is_custom(r)]
    assert custom, "the plan has no custom resources to check"
    for resource in custom:
        key = group_version_kind(resource)
        assert key in schemas, (
            f"{resource.name}: no served CRD for {key} in ../shared/upstream/crds"
        )
        document = as_object(resource)
        assert document["apiVersion"] == f"{key[0]}/{key[1]}"
        errors = list(Draft7Validator(strict(schemas[key])).iter_errors(document))
        assert not errors, f"{resource.name} ({key[2]}): " + "; ".join(
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors
        )


def test_every_core_object_validates_against_kubernetes(any_plan: PlanView) -> None:
    core = [r for r in any_plan.kubernetes_objects() if not is_custom(r)]
    core = [r for r in core if r.type != "kubernetes:index:Provider"]
    assert core, "the plan has no core objects to check"
    for resource in core:
        try:
            kubernetes_validate.validate(as_object(resource), MIN_KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{resource.name}: {err.message}")


def test_strict_schema_rejects_a_misspelt_field(upstream: Path) -> None:
    schema = strict(crd_schemas(upstream)[("cert-manager.io", "v1", "ClusterIssuer")])
    issuer = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "x"},
        "spec": {
            "acme": {"server": "https://a", "privateKeySecretRef": {"name": "k"}, "solver": []}
        },
    }
    messages = [e.message for e in Draft7Validator(schema).iter_errors(issuer)]
    assert any("solver" in m for m in messages)
