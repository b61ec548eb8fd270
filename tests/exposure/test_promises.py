"""The README's exposure promises ("Who reaches what"), each an assertion on the matrix
`platform exposure` computes from the plan, for dev, prod and dev with ingress-nginx."""

from __future__ import annotations

from platform_cli.exposure import Endpoint, Matrix
from platform_cli.exposure.sources import ADMIN, CLOUDFLARE_CUSTOMERS, INTERNET, RUNNER, ZONE, pods
from tests.conftest import stack_document


def rows(matrix: Matrix, *, ending: str = "", containing: str = "") -> list[Endpoint]:
    return [e for e in matrix.endpoints if e.name.endswith(ending) and containing in e.name]


def operators(matrix: Matrix) -> set[str]:
    """adminCidrs, and the runner where its egress lies inside them."""
    admitted = matrix.sources.admitted_by(matrix.sources.admin)
    return {ADMIN, *([RUNNER] if RUNNER in admitted else [])}


def test_kubernetes_apis_admit_only_admins_and_the_management_cluster(matrix: Matrix) -> None:
    for api in rows(matrix, ending="Kubernetes API :6443"):
        if api.note.startswith("VKE"):
            # Not shown to be filtered: the README says so for Vultr's hosted API.
            continue
        allowed = operators(matrix) | ({pods("mgmt")} if api.cluster != "mgmt" else set())
        assert api.reached_by == allowed, api


def test_argocd_and_grafana_admit_only_admins(matrix: Matrix) -> None:
    """No workload cluster's pods reach Argo CD's or Grafana's login, even where the
    metrics agents write to the management cluster (prod)."""
    found = rows(matrix, containing="://argocd.") + rows(matrix, containing="://grafana.")
    assert found
    for endpoint in found:
        assert endpoint.reached_by == operators(matrix), endpoint


def test_each_cluster_reaches_only_its_own_write_path(matrices: dict[str, Matrix]) -> None:
    """The metrics hub (prod): every workload cluster writes through a path of its own,
    with a credential only it holds; the one other route is read-only (OpenCost's), and
    nothing serves the rest of Prometheus's API (`/-/quit`, `/-/reload`, `/api/v1/write`)."""
    matrix = matrices["prod"]
    hub = {e.name: e for e in rows(matrix, containing="://prometheus-mgmt.")}
    host = "https://prometheus-mgmt.example.com"
    writes = {
        f"{host}/clusters/{c}/api/v1/write (origin)": c for c in matrix.sources.workload_clusters
    }
    (read,) = set(hub) - set(writes)
    assert read.startswith(f"{host} [/api/v1/query, ")
    assert "write" not in read and "/-/" not in read
    for name, cluster in writes.items():
        endpoint = hub[name]
        assert endpoint.credential == cluster, endpoint
        assert pods(cluster) in endpoint.reached_by, endpoint
        assert INTERNET not in endpoint.reached_by and ADMIN not in endpoint.reached_by


def test_origins_admit_only_this_zones_cloudflare(matrix: Matrix) -> None:
    """Every app origin on a workload cluster answers only this zone's Cloudflare (its
    own client certificate), not any Cloudflare customer, admins or other clusters."""
    origins = [
        e for e in rows(matrix, ending="(origin)") if e.cluster in matrix.sources.workload_clusters
    ]
    assert origins
    for origin in origins:
        assert origin.reached_by == {ZONE}, origin
        assert CLOUDFLARE_CUSTOMERS not in origin.reached_by


def test_private_apps_answer_only_their_callers(matrix: Matrix) -> None:
    """`public: false`: the per-cluster name, published through Cloudflare so other
    clusters can call it, answers exactly adminCidrs (the runner where it lies inside
    them) and the pods of the clusters where an app that depends on it runs (every app
    with pods there), by the client address Cloudflare reports: not any Cloudflare
    customer, not every cluster's pods, not the internet."""
    apps = stack_document(matrix.stack)["config"]["platform:apps"]
    where = matrix.sources.apps
    published = rows(matrix, ending="(through Cloudflare)")
    assert published
    for endpoint in published:
        app = next(a for a in apps if f"https://{a['name']}-{endpoint.cluster}." in endpoint.name)
        assert not app.get("public", False), endpoint
        callers = {
            c for a in apps if app["name"] in a.get("dependsOn", []) for c in where[a["name"]]
        }
        expected = operators(matrix) | {pods(c) for c in callers}
        expected |= {pods(a) for a, clusters in where.items() if callers & set(clusters)}
        assert endpoint.reached_by == expected, endpoint


def test_apps_cannot_open_load_balancers(matrix: Matrix) -> None:
    found = rows(matrix, containing="a LoadBalancer or NodePort Service")
    assert found
    for endpoint in found:
        assert endpoint.reached_by == frozenset(), endpoint


def test_apps_cannot_claim_external_addresses(matrix: Matrix) -> None:
    """A Service's `externalIPs` makes kube-proxy on every node send traffic for those
    addresses to the app, other pods' traffic to them included (CVE-2020-8554): refused
    at admission in every app namespace."""
    found = rows(matrix, containing="a Service with externalIPs")
    assert len(found) == len(rows(matrix, containing="a LoadBalancer or NodePort Service"))
    for endpoint in found:
        assert endpoint.reached_by == frozenset(), endpoint
        assert endpoint.note == "refused at admission", endpoint


def test_dependency_urls_are_admitted_and_isolation_kept(matrix: Matrix) -> None:
    """An app reaches the in-cluster Service of each dependency on its cluster (the URL
    it is handed), and no other app's pods reach that Service."""
    apps = stack_document(matrix.stack)["config"]["platform:apps"]
    dependants = {
        app["name"]: {other["name"] for other in apps if app["name"] in other.get("dependsOn", [])}
        for app in apps
    }
    for app, where in matrix.sources.apps.items():
        for cluster in where:
            endpoint = matrix.row(f"{app} Service on {cluster} (in-cluster)")
            expected = {pods(app)} | {
                pods(d) for d in dependants[app] if cluster in matrix.sources.apps[d]
            }
            assert endpoint.reached_by == expected, endpoint


def test_origins_see_the_client_address(matrix: Matrix) -> None:
    """Every load balancer in front of Envoy passes the client's address on (the proxy
    protocol), so logs, rate limits and address policies see the client."""
    for endpoint in rows(matrix, ending="(origin)"):
        assert "client address kept" in endpoint.note, endpoint


def test_the_database_admits_admins_and_its_clients_clusters(
    matrices: dict[str, Matrix],
) -> None:
    """Admins, the clusters its apps run on, and the management cluster where the backup
    jobs run: no other cluster, never the internet."""
    for name, matrix in matrices.items():
        (database,) = rows(matrix, containing="database ")
        assert ADMIN in database.reached_by and INTERNET not in database.reached_by
        clusters = {c for c in matrix.sources.egress if pods(c) in database.reached_by}
        database_config = stack_document("prod" if name == "prod" else "dev")["config"][
            "platform:database"
        ]
        backups = database_config.get("backups") is not None
        allowed = {*matrix.sources.workload_clusters, *(["mgmt"] if backups else [])}
        assert clusters <= allowed, name


def test_global_names_are_public(matrix: Matrix) -> None:
    for endpoint in rows(matrix, containing="", ending=""):
        if endpoint.cluster == "global" and endpoint.name.startswith("https://"):
            assert INTERNET in endpoint.reached_by


def test_the_runner_reaches_every_api_and_the_database(matrix: Matrix) -> None:
    """Where `pulumi up` runs must reach every API and the database it manages: the
    delivery path's runners (rule runner-reaches-endpoints refuses a plan otherwise)."""
    for api in rows(matrix, ending="Kubernetes API :6443"):
        if not api.note.startswith("VKE"):
            assert RUNNER in api.reached_by, api
    for database in rows(matrix, ending=":5432"):
        assert RUNNER in database.reached_by, database
