"""What every add-on needs: a cluster's context and one way to install a chart.

Every chart goes through ``helm.v3.Release``. Four of them (gateway-helm, cert-manager,
argo-cd, ingress-nginx) carry Helm hooks, which only a Release runs. The other three
(external-dns, external-secrets, sealed-secrets) have none, but keeping them on the same
path gives one install behaviour (atomic, rollback on failure, Helm history for
operators), and a Release is an ordinary resource under the mock runtime, so the
offline plan and the fidelity tests see its values. ``helm.v4.Chart`` is a remote
component and renders nothing under mocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.pod_security import EXCEPTION, PodSecurityLevel
from infra.pod_security import labels as pod_security_labels
from infra.versions import CHARTS

HELM_TIMEOUT_SECONDS = 600
# Take over fields another field manager set (pulumi-kubernetes provider/pkg/metadata
# annotations.go `AnnotationPatchForce`; await.go `patchForce`).
PATCH_FORCE = {"pulumi.com/patchForce": "true"}


@dataclass(frozen=True)
class Namespace:
    """A namespace add-ons install into; ``resource`` is None where it always exists."""

    name: str
    resource: k8s.core.v1.Namespace | None = None

    @property
    def after(self) -> list[pulumi.Resource]:
        return [self.resource] if self.resource is not None else []


@dataclass(frozen=True)
class AddonContext:
    """One cluster, as the add-ons see it."""

    cluster: str
    environment: str
    domain: str
    chart_versions: Mapping[str, str]
    provider: k8s.Provider
    parent: pulumi.Resource

    def opts(
        self, depends_on: Sequence[pulumi.Resource] = (), **kwargs: Any
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self.parent, provider=self.provider, depends_on=list(depends_on), **kwargs
        )

    def name(self, *parts: str) -> str:
        return "-".join((self.cluster, *parts))

    def namespace(
        self,
        name: str,
        pod_security: PodSecurityLevel = "restricted",
        reason: str = "",
        labels: Mapping[str, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> Namespace:
        """A namespace at the strictest Pod Security level unless the caller says why not;
        the reason is kept on the namespace, where the pod-security rule looks for it."""
        if pod_security != "restricted" and not reason:
            raise ValueError(f"namespace {name!r}: say why it cannot be restricted")
        resource = k8s.core.v1.Namespace(
            self.name("ns", name),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                labels={
                    "app.kubernetes.io/managed-by": "pulumi",
                    **pod_security_labels(pod_security),
                    **(labels or {}),
                },
                annotations={EXCEPTION: reason} if reason else None,
            ),
            opts=self.opts(depends_on=depends_on),
        )
        return Namespace(name, resource)

    def secret(
        self,
        name: str,
        namespace: Namespace,
        string_data: Mapping[str, pulumi.Input[str]],
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            self.name("secret", namespace.name, name),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace.name),
            type="Opaque",
            string_data=dict(string_data),
            opts=self.opts(
                depends_on=[*namespace.after, *depends_on],
                additional_secret_outputs=["data", "stringData"],
            ),
        )

    def release(
        self,
        chart: str,
        namespace: Namespace,
        values: Mapping[str, Any],
        depends_on: Sequence[pulumi.Resource] = (),
        release_name: str | None = None,
        *,
        wait: bool = True,
    ) -> k8s.helm.v3.Release:
        """A release Helm waits for and rolls back when it fails; with ``wait=False`` one
        it neither waits for nor rolls back, for pods that can only become ready once
        something outside this `up` answers. (Atomic turns the wait back on: helm v3
        pkg/action/install.go `i.Wait = i.Wait || i.Atomic`.)"""
        pin = CHARTS[chart]
        oci = pin.is_oci
        return k8s.helm.v3.Release(
            self.name(chart),
            name=release_name or chart,
            chart=f"{pin.repository}/{pin.chart}" if oci else pin.chart,
            version=self.chart_versions.get(chart, pin.version),
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
            namespace=namespace.name,
            create_namespace=False,
            values=dict(values),
            atomic=wait,
            # Left unset otherwise, so releases that wait keep the inputs they had.
            skip_await=None if wait else True,
            cleanup_on_fail=True,
            timeout=HELM_TIMEOUT_SECONDS,
            opts=self.opts(depends_on=[*namespace.after, *depends_on]),
        )

    def custom_resource(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        name: str,
        *,
        spec: Mapping[str, Any],
        namespace: pulumi.Input[str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            self.name(resource_name),
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=namespace,
                labels=dict(labels) if labels else None,
                annotations=dict(annotations) if annotations else None,
            ),
            spec=dict(spec),
            opts=self.opts(depends_on=depends_on),
        )

    def custom_resource_patch(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        name: str,
        *,
        spec: Mapping[str, Any],
        namespace: str,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResourcePatch:
        """A custom resource a controller creates itself, whose fields Pulumi takes over.

        A patch is a server-side apply: it never fails on AlreadyExists, and forcing takes
        the fields from the controller's field manager. Removing it from the program only
        gives those fields up; the object stays (pulumi-kubernetes provider/pkg/await
        await.go, Delete of a patch resource relinquishes its fields).
        """
        return k8s.apiextensions.CustomResourcePatch(
            self.name(resource_name),
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, annotations=dict(PATCH_FORCE)
            ),
            spec=dict(spec),
            opts=self.opts(depends_on=depends_on),
        )
