"""Label keys, label values and selector requirements, judged as the API server and
Argo CD's cluster generator judge them.

Source: kubernetes/apimachinery v0.34.0 (the version argo-cd v3.4.4's go.mod pins):
``pkg/util/validation/validation.go`` ``IsQualifiedName`` (L41-70), ``IsValidLabelValue``
(L154-173), ``IsDNS1123Subdomain`` (L211-227); ``pkg/labels/selector.go``
``NewRequirement`` (L184-224), which ``metav1.LabelSelectorAsSelector`` calls for every
requirement, so a selector it refuses makes the ApplicationSet generate nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NAME_MAX = 63  # qualifiedNameMaxLength, LabelValueMaxLength
PREFIX_MAX = 253  # DNS1123SubdomainMaxLength
_NAME_RULE = (
    "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric "
    f"character, at most {NAME_MAX}"
)


def _as_in(text: str) -> str:
    """What to write instead: ``text`` as a valid name, offered as an example."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")[:NAME_MAX].strip("-_.")
    return f", as in {name!r}" if name and name != text else ""


# The operator to use instead when the values are wrong for the one given.
_WITHOUT_VALUES = {"In": "Exists", "NotIn": "DoesNotExist"}
_WITH_VALUES = {"Exists": "In", "DoesNotExist": "NotIn"}


def label_key_problem(key: str) -> str | None:
    """Why the API server refuses ``key`` as a label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (
        not prefix or "/" in prefix or len(prefix) > PREFIX_MAX or not _DNS_SUBDOMAIN.match(prefix)
    ):
        return (
            f"label key {key!r}: the prefix before '/' must be a lowercase DNS subdomain "
            f"of at most {PREFIX_MAX} characters (apimachinery IsQualifiedName); make it a "
            "domain such as 'example.com', or leave the prefix out"
        )
    if len(name) > NAME_MAX or not _NAME.match(name):
        fix = f"rename it{_as_in(name)}" if name else "name it after the '/'"
        return (
            f"label key {key!r}: the name must be {_NAME_RULE} (apimachinery IsQualifiedName); "
            + fix
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why the API server refuses ``value`` as a label value, or None (empty is valid)."""
    if value and (len(value) > NAME_MAX or not _NAME.match(value)):
        return (
            f"label value {value!r} must be empty or {_NAME_RULE} (apimachinery "
            f"IsValidLabelValue); change it{_as_in(value)}"
        )
    return None


def requirement_problem(operator: str, values: Sequence[str]) -> str | None:
    """Why ``NewRequirement`` refuses an operator with these values, or None."""
    if operator in ("In", "NotIn") and not values:
        return (
            f"{operator} needs at least one value (apimachinery NewRequirement); list the "
            f"values, or use {_WITHOUT_VALUES[operator]}"
        )
    if operator in ("Exists", "DoesNotExist") and values:
        return (
            f"{operator} takes no values (apimachinery NewRequirement); remove the values, or "
            f"use {_WITH_VALUES[operator]}"
        )
    return None


# Argo CD's own labels on a cluster Secret, all under one prefix (argo-cd common/common.go:
# LabelKeySecretType "argocd.argoproj.io/secret-type", by which Argo CD finds cluster
# Secrets at all; LabelKeyAutoLabelClusterInfo; LabelKeyClusterKubernetesVersion, which
# Argo CD writes itself). A cluster label goes on that Secret, so one of these would
# take the cluster out of Argo CD or fight Argo CD over the value.
ARGOCD_LABEL_PREFIX = "argocd.argoproj.io/"


def argocd_label_problem(key: str) -> str | None:
    """Why ``key`` may not be a cluster label: Argo CD reserves it, or None."""
    if not key.startswith(ARGOCD_LABEL_PREFIX):
        return None
    return (
        f"Argo CD reserves the {ARGOCD_LABEL_PREFIX!r} labels of a cluster Secret (argo-cd "
        "common/common.go: secret-type, auto-label-cluster-info, kubernetes-version); this "
        "one would overwrite what Argo CD finds the cluster by or sets on it: choose a key "
        "of your own"
    )
