"""AppDeployment: one app, described once, run on every cluster its label selector picks.

Argo CD places it: one ApplicationSet on the management cluster. Pulumi adds what Argo
CD should not own on each placed cluster: the namespace (Pod Security `restricted`,
default-deny ingress but for the traffic controller), argocd-manager's Role in it, the
route to the app's host, and for database apps the ExternalSecret that brings its own
credentials (never the admin's).

The generator is a *merge* of a clusters generator and a list generator, keyed on the
cluster name. The clusters generator's selector decides placement, the same selector
Python evaluated to compute it; the list generator adds what differs per cluster (the
URLs of the app's dependencies), which a clusters generator alone cannot carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import naming
from infra.addons.admission import namespace_labels
from infra.addons.argocd import API_VERSION as ARGOCD_API
from infra.addons.external_secrets import API_VERSION as ESO_API
from infra.addons.external_secrets import STORE_NAME
from infra.addons.reloader import RESTARTS_WORKLOADS
from infra.addons.traffic import Route, isolate_namespace
from infra.components import argocd_registration
from infra.components.contracts import AppTarget, ArgoCDTarget
from infra.config import AppConfig

RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


@dataclass(frozen=True)
class AppDeploymentArgs:
    app: AppConfig
    domain: str
    project: str
    argocd: ArgoCDTarget
    # The ApplicationSet's cluster selector: the app's placement plus environment and role.
    selector: Mapping[str, Any]
    # Placed clusters only, by name; the same set the selector picks.
    targets: Mapping[str, AppTarget]
    # cluster -> dependency -> URL (see infra.app_urls).
    dependency_urls: Mapping[str, Mapping[str, str]]
    database_secret_path: str | None = None
    # The AWS version id of the app's credentials; it changes whenever they do.
    database_secret_version: pulumi.Input[str] | None = None
    # cluster -> namespaces of the apps calling this one by its in-cluster URL there.
    callers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # A private app's per-cluster name serves only these client addresses (as Cloudflare
    # reports them): adminCidrs and the egress of the clusters its callers run on.
    allowed_cidrs: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None


def cluster_values(app: AppConfig, dependencies: Mapping[str, str]) -> dict[str, Any]:
    """The Helm values an app gets on one cluster: its own, plus `dependencies.<name>.url`."""
    values = dict(app.source.values)
    if dependencies:
        values["dependencies"] = {name: {"url": url} for name, url in sorted(dependencies.items())}
    return values


def application_source(app: AppConfig) -> dict[str, Any]:
    source: dict[str, Any] = {
        "repoURL": app.source.repo_url,
        "targetRevision": app.source.revision,
        # Per-cluster values come from the list generator, rendered by the Go template.
        "helm": {"releaseName": app.name, "values": "{{ .valuesYaml }}"},
    }
    if app.source.chart:
        source["chart"] = app.source.chart
    else:
        source["path"] = app.source.path or "."
    return source


def application_set_spec(args: AppDeploymentArgs) -> dict[str, Any]:
    app = args.app
    elements = [
        {
            "name": cluster,
            "valuesYaml": yaml.safe_dump(
                cluster_values(app, args.dependency_urls.get(cluster, {})), sort_keys=True
            ),
        }
        for cluster in sorted(args.targets)
    ]
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [
            {
                "merge": {
                    "mergeKeys": ["name"],
                    "generators": [
                        {"clusters": {"selector": dict(args.selector)}},
                        {"list": {"elements": elements}},
                    ],
                }
            }
        ],
        # Removing the app deletes its namespace (a Pulumi resource) and everything in it,
        # database app or not, so Argo CD deletes the workloads too: no promise to break.
        "syncPolicy": {"preserveResourcesOnDeletion": False},
        "template": {
            "metadata": {
                "name": f"{app.name}-{{{{ .name }}}}",
                "labels": {"app.kubernetes.io/part-of": app.name},
            },
            "spec": {
                "project": args.project,
                "source": application_source(app),
                "destination": {"server": "{{ .server }}", "namespace": app.target_namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    # No CreateNamespace: Pulumi creates the namespace, with its Pod
                    # Security labels, on every placed cluster, and the project's empty
                    # clusterResourceWhitelist would fail the sync of a namespace Argo
                    # CD had to create (argo-cd v3.4.4
                    # controller/sync_namespace.go, app_project_types.go
                    # IsGroupKindNamePermitted).
                    "retry": RETRY,
                },
            },
        },
    }


# ESO reads a `uuid/<id>` version by VersionId, anything else as a staging label
# (external-secrets v2.9.0 providers/v1/aws/secretsmanager/secretsmanager.go
# constructSecretValue). Naming the version this `up` wrote gets exactly that value, not
# whatever AWSCURRENT is when ESO asks, and changes the spec, which makes ESO sync at once
# (pkg/controllers/externalsecret/externalsecret_controller.go shouldRefresh: a new
# generation), not at the next refreshInterval.
AWS_VERSION_ID = "uuid/"


def external_secret_spec(
    app: AppConfig, path: str, version_id: pulumi.Input[str] | None = None
) -> dict[str, Any]:
    extract: dict[str, Any] = {"key": path}
    if version_id is not None:
        extract["version"] = pulumi.Output.from_input(version_id).apply(
            lambda version: AWS_VERSION_ID + version
        )
    return {
        # A backstop only: a new value changes `version`, and the spec with it.
        "refreshInterval": "1h",
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
        "target": {
            "name": f"{app.name}-db",
            "creationPolicy": "Owner",
            # A template with metadata only keeps the fetched data as it is, and labels
            # the Secret for Reloader, which restarts the workloads that use it.
            "template": {"metadata": {"labels": dict(RESTARTS_WORKLOADS)}},
        },
        "dataFrom": [{"extract": extract}],
    }


class AppDeployment(pulumi.ComponentResource):
    cluster_urls: pulumi.Output[dict[str, str]]
    global_url: pulumi.Output[str | None]
    placed_clusters: Sequence[str]

    def __init__(
        self, name: str, args: AppDeploymentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:AppDeployment", name, None, opts)
        app = args.app
        self.application_set = k8s.apiextensions.CustomResource(
            f"{name}-applicationset",
            api_version=ARGOCD_API,
            kind="ApplicationSet",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.argocd.namespace),
            spec=application_set_spec(args),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.argocd.provider,
                # argo-cd v3.4.4 appcontroller.go finalizeApplicationDeletion L1210: an app
                # whose project is gone never finalizes, and this delete waits for them.
                depends_on=[args.argocd.ready, *filter(None, [args.argocd.project])],
            ),
        )
        urls: dict[str, str] = {}
        # cluster -> argocd-manager's RoleBinding in the app's namespace there.
        self.grants: dict[str, k8s.rbac.v1.RoleBinding] = {}
        for cluster, target in sorted(args.targets.items()):
            ctx = target.context(parent=self)
            namespace = ctx.namespace(
                app.target_namespace,
                pod_security="restricted",
                labels=namespace_labels(app.load_balancer_services),
                depends_on=[target.admission] if target.admission else (),
            )
            self.grants[cluster] = argocd_registration.grant_namespace(ctx, namespace)
            isolate_namespace(
                ctx, namespace, target.traffic.proxy_namespace, args.callers.get(cluster, ())
            )
            host = naming.app_cluster_host(app.name, cluster, args.domain)
            # A public app's per-cluster host is a load-balancer origin and stays DNS-only.
            # A private app's is how other clusters call it, so it goes through Cloudflare,
            # which origin lockdown admits; no cluster has to admit another's nodes.
            target.traffic.route(
                ctx,
                Route(
                    app.name,
                    app.target_namespace,
                    host,
                    app.service.name,
                    app.service.port,
                    proxied=not app.public,
                    allowed_cidrs=None if app.public else args.allowed_cidrs,
                ),
                namespace.after,
            )
            if app.public:
                # Visitors keep `<app>.<domain>`: the load balancer sends it to every
                # origin unchanged, so every placed cluster serves it too.
                target.traffic.route(
                    ctx,
                    Route(
                        f"{app.name}-global",
                        app.target_namespace,
                        naming.app_host(app.name, args.domain),
                        app.service.name,
                        app.service.port,
                        global_host=True,
                    ),
                    namespace.after,
                )
            if app.database and args.database_secret_path:
                ctx.custom_resource(
                    f"{app.name}-db-secret",
                    ESO_API,
                    "ExternalSecret",
                    f"{app.name}-db",
                    namespace=app.target_namespace,
                    spec=external_secret_spec(
                        app, args.database_secret_path, args.database_secret_version
                    ),
                    depends_on=[*namespace.after, target.secret_store],
                )
            urls[cluster] = naming.https_url(host)
        self.placed_clusters = sorted(args.targets)
        self.cluster_urls = pulumi.Output.from_input(urls)
        self.global_url = pulumi.Output.from_input(
            naming.https_url(naming.app_host(app.name, args.domain)) if app.public else None
        )
        self.register_outputs(
            {
                "clusterUrls": self.cluster_urls,
                "globalUrl": self.global_url,
                "placedClusters": self.placed_clusters,
            }
        )
