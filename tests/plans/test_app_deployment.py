"""AppDeployment: placement, the ApplicationSet, the AppProject, per-cluster objects and
the dependency URL rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from infra.app_urls import dependency_urls
from infra.stackconfig import load, read_stack_file
from platform_cli.runner import PROJECT_DIR, Registration
from tests.planview import PlanView

APP = "platform:index:AppDeployment"
PROD_PLACEMENT = {
    "hello-world": ["chicago", "frankfurt", "london", "newyork"],
    "blog": ["frankfurt", "london"],
    "weather": ["london"],
    "temperature": ["frankfurt"],
    "traffic": ["newyork"],
    "dashboard": ["frankfurt", "london"],
}


def app_set(plan: PlanView, app: str) -> dict[str, Any]:
    spec: dict[str, Any] = plan.one(
        "argoproj.io/v1alpha1:ApplicationSet", f"{app}-applicationset"
    ).inputs["spec"]
    return spec


def per_cluster_values(plan: PlanView, app: str) -> dict[str, dict[str, Any]]:
    (merge,) = app_set(plan, app)["generators"]
    _, listed = merge["merge"]["generators"]
    return {e["name"]: yaml.safe_load(e["valuesYaml"]) for e in listed["list"]["elements"]}


def children(plan: PlanView, app: str, suffix: str) -> list[Registration]:
    (component,) = [c for c in plan.components(APP) if c.name == app]
    return [r for r in plan.below(component) if r.type.endswith(suffix)]


def test_placement_follows_labels() -> None:
    valid = load(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").values)
    assert {app: list(c) for app, c in valid.placement.clusters_of.items()} == PROD_PLACEMENT


def test_one_component_and_one_application_set_per_app(prod: PlanView) -> None:
    assert sorted(c.name for c in prod.components(APP)) == sorted(PROD_PLACEMENT)
    assert len(prod.of_type("argoproj.io/v1alpha1:ApplicationSet")) == len(PROD_PLACEMENT)
    assert prod.of_type(":Application") == []


@pytest.mark.parametrize("app", sorted(PROD_PLACEMENT))
def test_application_set_shape(prod: PlanView, app: str) -> None:
    resource = prod.one("argoproj.io/v1alpha1:ApplicationSet", f"{app}-applicationset")
    assert resource.inputs["metadata"]["namespace"] == "argocd"
    assert "mgmt-k8s" in str(resource.provider)
    spec = app_set(prod, app)
    assert spec["goTemplate"] is True
    (generator,) = spec["generators"]
    clusters, listed = generator["merge"]["generators"]
    assert generator["merge"]["mergeKeys"] == ["name"]
    selector = clusters["clusters"]["selector"]["matchLabels"]
    assert selector["environment"] == "prod" and selector["role"] == "workload"
    assert [e["name"] for e in listed["list"]["elements"]] == PROD_PLACEMENT[app]
    template = spec["template"]["spec"]
    assert template["project"] == "prod"
    assert template["destination"] == {"server": "{{ .server }}", "namespace": app}
    sync = template["syncPolicy"]
    assert sync["automated"] == {"prune": True, "selfHeal": True}
    assert "syncOptions" not in sync  # the platform creates the namespace, not Argo CD
    assert sync["retry"]["backoff"]["factor"] == 2
    # Pulumi deletes a removed app's namespace, so Argo CD never keeps its workloads.
    assert spec["syncPolicy"]["preserveResourcesOnDeletion"] is False


def test_app_project_is_scoped(prod: PlanView) -> None:
    project = prod.one("argoproj.io/v1alpha1:AppProject", "mgmt-appproject-prod").inputs
    assert project["metadata"]["name"] == "prod"
    spec = project["spec"]
    assert spec["sourceRepos"] == ["https://github.com/example-org/platform-apps.git"]
    assert spec["clusterResourceWhitelist"] == []
    destinations = {(d["name"], d["namespace"]) for d in spec["destinations"]}
    assert destinations == {(c, app) for app, placed in PROD_PLACEMENT.items() for c in placed}
    assert all("*" not in json.dumps(d) for d in spec["destinations"])


@pytest.mark.parametrize("app", sorted(PROD_PLACEMENT))
def test_routes_only_on_placed_clusters(prod: PlanView, app: str) -> None:
    # Public apps also serve their global host on each cluster (test_global_load_balancer).
    routes = [
        r
        for r in children(prod, app, "gateway.networking.k8s.io/v1:HTTPRoute")
        if not r.name.endswith("-global")
    ]
    assert sorted(r.name.split("-route-")[0] for r in routes) == PROD_PLACEMENT[app]
    for route in routes:
        cluster = route.name.split("-route-")[0]
        assert f"{cluster}-k8s" in str(route.provider)
        assert route.inputs["spec"]["hostnames"] == [f"{app}-{cluster}.example.com"]
        assert route.inputs["spec"]["parentRefs"][0]["sectionName"] == "https"
        (rule,) = route.inputs["spec"]["rules"]
        assert rule["backendRefs"][0]["name"] == app


def test_external_secrets_only_for_database_apps_on_placed_clusters(prod: PlanView) -> None:
    secrets = prod.of_type("external-secrets.io/v1:ExternalSecret")
    assert sorted(s.name for s in secrets) == ["frankfurt-blog-db-secret", "london-blog-db-secret"]
    for secret in secrets:
        spec = secret.inputs["spec"]
        assert secret.inputs["metadata"] == {
            **secret.inputs["metadata"],
            "name": "blog-db",
            "namespace": "blog",
        }
        ((_, extract),) = spec["dataFrom"][0].items()
        # the AWS version the `up` wrote, by id (ESO's `uuid/` prefix)
        assert extract == {"key": "platform/prod/shared/blog", "version": extract["version"]}
        assert extract["version"].startswith("uuid/")
        assert spec["secretStoreRef"] == {
            "kind": "ClusterSecretStore",
            "name": "aws-secrets-manager",
        }


def test_dashboard_gets_the_right_url_for_each_dependency_on_each_cluster(prod: PlanView) -> None:
    values = per_cluster_values(prod, "dashboard")
    assert values["london"]["dependencies"] == {
        "weather": {"url": "http://weather.weather.svc.cluster.local:8080"},  # same cluster
        "temperature": {"url": "https://temperature-frankfurt.example.com"},  # private, remote
        "traffic": {"url": "https://traffic-newyork.example.com"},
    }
    assert values["frankfurt"]["dependencies"] == {
        "weather": {"url": "https://weather.example.com"},  # public, remote: global host
        "temperature": {"url": "http://temperature.temperature.svc.cluster.local:8080"},
        "traffic": {"url": "https://traffic-newyork.example.com"},
    }
    assert "dependencies" not in per_cluster_values(prod, "weather")["london"]


def test_private_remote_dependency_follows_region_preference() -> None:
    values = read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").values
    apps = json.loads(values["platform:apps"])
    for app in apps:
        if app["name"] == "traffic":
            app["placement"] = {"matchLabels": {"geo": "americas"}}
    values = {
        **values,
        "platform:apps": json.dumps(apps),
        "platform:loadBalancing": json.dumps({"regionPreference": ["chicago"]}),
    }
    valid = load(values)
    dashboard = next(a for a in valid.config.apps if a.name == "dashboard")
    assert (
        dependency_urls(valid.config, valid.placement, dashboard)["london"]["traffic"]
        == "https://traffic-chicago.example.com"
    )


def test_component_outputs(prod: PlanView) -> None:
    (blog,) = [c for c in prod.components(APP) if c.name == "blog"]
    outputs = prod.run.component_outputs[blog.urn]
    assert outputs["globalUrl"] == "https://blog.example.com"
    assert outputs["placedClusters"] == ["frankfurt", "london"]
    assert outputs["clusterUrls"] == {
        "frankfurt": "https://blog-frankfurt.example.com",
        "london": "https://blog-london.example.com",
    }
    (temperature,) = [c for c in prod.components(APP) if c.name == "temperature"]
    assert "globalUrl" not in prod.run.component_outputs[temperature.urn] or (
        prod.run.component_outputs[temperature.urn]["globalUrl"] is None
    )


def _app(config: dict[str, Any], name: str) -> dict[str, Any]:
    app: dict[str, Any] = next(a for a in config["platform:apps"] if a["name"] == name)
    return app


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: _app(c, "weather").update(placement={"matchLabels": {"geo": "mars"}}),
            [
                "error: platform:apps[2](weather).placement: matches no enabled cluster (enabled: ['frankfurt', 'london'])"
            ],
        ),
        (
            lambda c: _app(c, "weather").update(dependsOn=["dashboard"]),
            [
                "error: platform:apps[2](weather).dependsOn: dependency cycle weather -> dashboard -> weather",
                "error: platform:apps[5](dashboard).dependsOn: dependency cycle dashboard -> weather -> dashboard",
            ],
        ),
        (
            lambda c: _app(c, "dashboard").update(dependsOn=["weather", "pollen"]),
            ["error: platform:apps[5](dashboard).dependsOn[1]: unknown app 'pollen'"],
        ),
        (
            lambda c: c.pop("platform:database"),
            [
                "error: platform:apps[1](blog).database: needs the shared database, but platform:database is not set"
            ],
        ),
        (
            lambda c: _app(c, "traffic").update(namespace="temperature"),
            [
                "error: platform:apps[4](traffic).namespace: namespace 'temperature' on cluster 'frankfurt' already belongs to app 'temperature'"
            ],
        ),
    ],
    ids=[
        "placement matches nothing",
        "cycle",
        "unknown dependency",
        "no database",
        "shared namespace",
    ],
)
def test_app_config_mistakes_exit_2(
    edit: Callable[[dict[str, Any]], None],
    expected: list[str],
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    assert plan_errors(edit) == (2, expected)
