"""Every cluster: Pod Security on every namespace, app namespaces isolated, kube-bench on
a schedule, and no app in a namespace that holds the platform's credentials."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.access import PLATFORM_NAMESPACES
from tests.plans.test_least_privilege import PROD_NAMESPACES
from tests.planview import PlanView

ENFORCE = "pod-security.kubernetes.io/enforce"
CLUSTERS = [*sorted(PROD_NAMESPACES), "mgmt"]


def namespaces(plan: PlanView, cluster: str) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]
        for r in plan.of_type("core/v1:Namespace")
        if r.name.startswith(f"{cluster}-ns-")
    }


@pytest.mark.parametrize("cluster", sorted(PROD_NAMESPACES))
def test_app_namespaces_enforce_restricted(prod: PlanView, cluster: str) -> None:
    found = namespaces(prod, cluster)
    for name in PROD_NAMESPACES[cluster]:
        labels = found[name]["labels"]
        assert labels[ENFORCE] == "restricted"
        assert labels["pod-security.kubernetes.io/audit"] == "restricted"
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_platform_namespaces_are_as_strict_as_their_charts_allow(
    prod: PlanView, cluster: str
) -> None:
    found = namespaces(prod, cluster)
    platform = {name: meta for name, meta in found.items() if name in PLATFORM_NAMESPACES}
    # Every namespace is an app's or listed as the platform's, which apps may not use.
    assert set(found) - set(platform) == set(PROD_NAMESPACES.get(cluster, []))
    below = {name: meta["labels"][ENFORCE] for name, meta in platform.items()}
    below = {name: level for name, level in below.items() if level != "restricted"}
    # The exceptions, each saying why on the namespace: kube-bench and node-exporter read
    # the host. (OpenCost runs restricted now that the platform sets its security context.)
    assert below == {"kube-bench": "privileged", "node-exporter": "privileged"}
    for name in below:
        assert platform[name]["annotations"]["platform/pod-security-exception"]
    assert "hostPID" in platform["kube-bench"]["annotations"]["platform/pod-security-exception"]


# prod's dashboard calls weather on london, and temperature and traffic where they share a
# cluster with it, by their in-cluster URLs (infra/app_urls.py rule 1).
CALLERS = {("london", "weather"): ["dashboard"], ("frankfurt", "temperature"): ["dashboard"]}


@pytest.mark.parametrize("cluster", sorted(PROD_NAMESPACES))
def test_app_namespaces_deny_ingress_but_from_themselves_and_the_gateway(
    prod: PlanView, cluster: str
) -> None:
    policies = {
        r.inputs["metadata"]["namespace"]: r.inputs["spec"]
        for r in prod.of_type("networking.k8s.io/v1:NetworkPolicy")
        if r.name.startswith(f"{cluster}-")
    }
    assert sorted(policies) == PROD_NAMESPACES[cluster]
    for namespace, spec in policies.items():
        assert spec["podSelector"] == {}
        assert spec["policyTypes"] == ["Ingress"]
        (rule,) = spec["ingress"]
        assert rule["from"] == [
            {"podSelector": {}},
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}
                }
            },
            *(
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller}}}
                for caller in CALLERS.get((cluster, namespace), [])
            ),
        ]
        assert "ports" not in rule


BENCHMARKS = {"london": "k3s-cis-1.9", "chicago": "cis-1.12", "mgmt": "k3s-cis-1.9"}


@pytest.mark.parametrize("cluster", sorted(BENCHMARKS))
def test_kube_bench_runs_the_distributions_benchmark(prod: PlanView, cluster: str) -> None:
    job = prod.one("batch/v1:CronJob", f"{cluster}-kube-bench-node").inputs
    assert job["metadata"]["namespace"] == "kube-bench"
    spec = job["spec"]
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["concurrencyPolicy"] == "Forbid"
    job_spec = spec["jobTemplate"]["spec"]
    assert job_spec["ttlSecondsAfterFinished"] >= 7 * 24 * 3600  # a week's results stay
    pod = job_spec["template"]["spec"]
    assert pod["hostPID"] is True and pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["command"] == [
        "kube-bench",
        "run",
        "--targets",
        "node",
        "--benchmark",
        BENCHMARKS[cluster],
    ]
    assert all(m["readOnly"] for m in container["volumeMounts"])
    paths = {v["hostPath"]["path"] for v in pod["volumes"]}
    assert ("/var/lib/rancher" in paths) is BENCHMARKS[cluster].startswith("k3s")


def test_kube_bench_matches_upstream(prod: PlanView, upstream: Path) -> None:
    kube_bench = upstream / "manifests" / "kube-bench"
    config = yaml.safe_load((kube_bench / "cfg" / "config.yaml").read_text())
    (job,) = yaml.safe_load_all((kube_bench / "job.yaml").read_text())
    (upstream_container,) = job["spec"]["template"]["spec"]["containers"]
    for cluster, benchmark in BENCHMARKS.items():
        assert "node" in config["target_mapping"][benchmark], benchmark
        cron = prod.one("batch/v1:CronJob", f"{cluster}-kube-bench-node").inputs
        (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == upstream_container["image"]


@pytest.mark.parametrize(
    ("app_edit", "error"),
    [
        (
            {"namespace": "external-secrets"},
            "error: platform:apps[0](hello-world).namespace: namespace 'external-secrets' belongs to the "
            "platform; an app there would share its credentials",
        ),
        (
            {"name": "admin", "database": True},
            "error: platform:apps[0](admin).name: 'admin' names the database's admin credentials; "
            "rename the app",
        ),
    ],
    ids=["platform namespace", "app named admin"],
)
def test_no_app_may_take_a_platform_credential(
    plan_errors: Callable[..., tuple[int, list[str]]], app_edit: dict[str, Any], error: str
) -> None:
    def edit(config: dict[str, Any]) -> None:
        config["platform:apps"][0].update(app_edit)

    code, errors = plan_errors(edit, "prod")
    assert code == 2
    assert error in errors
