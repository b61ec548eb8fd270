"""Plausible cloud answers for the offline plan.

Every id, address and credential is derived from the resource's type and name, so
two plans of the same config are identical and a diff shows only real changes.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

import pulumi

from infra.stackconfig import PLACEHOLDER_KUBECONFIG

# Cloudflare's published ranges (https://www.cloudflare.com/ips-v4 and ips-v6).
CLOUDFLARE_IPV4 = [
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
]
CLOUDFLARE_IPV6 = [
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
]
MOCK_AWS_ACCOUNT = "123456789012"
SECRETS_ARN_PREFIX = f"arn:aws:secretsmanager:eu-west-2:{MOCK_AWS_ACCOUNT}:secret"


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def mock_id(typ: str, name: str) -> str:
    return _digest(typ, name)[:24]


MOCK_ADDRESSES = ipaddress.ip_network("100.64.0.0/10")


def mock_ip(*parts: str) -> str:
    """An address in the shared range (RFC 6598), never a real host, stable for the same
    inputs; four million of them keep the plan's clusters from sharing one."""
    offset = int(_digest(*parts)[:8], 16) % (MOCK_ADDRESSES.num_addresses - 2)
    return str(MOCK_ADDRESSES[1 + offset])


def _created(node: int) -> str:
    """Node n of a pool was created n minutes after the first: scaling up adds the newest."""
    return f"2026-01-01T00:{node:02d}:00Z"


def _kubeconfig(server: str) -> str:
    return PLACEHOLDER_KUBECONFIG.replace("https://127.0.0.1:6443", server)


def _civo_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    ip = mock_ip("civo", name)
    pools = dict(inputs.get("pools") or {})
    count = int(pools.get("nodeCount", 1))
    pools["instanceNames"] = [f"k3s-{name}-node-{i}" for i in range(count)]
    return {
        "apiEndpoint": f"https://{ip}:6443",
        "masterIp": ip,
        "kubeconfig": _kubeconfig(f"https://{ip}:6443"),
        "dnsEntry": f"{mock_id('civo', name)}.k8s.civo.com",
        "status": "ACTIVE",
        "pools": pools,
    }


def _vultr_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    host = f"{mock_id('vultr', name)}.vultr-k8s.com"
    pools = dict(inputs.get("nodePools") or {})
    pools["nodes"] = [
        {
            "id": mock_id("vultr-node", f"{name}-{i}"),
            "label": f"{name}-{i}",
            "status": "active",
            "dateCreated": _created(i),
        }
        for i in range(int(pools.get("nodeQuantity", 1)))
    ]
    return {
        "endpoint": host,
        "ip": mock_ip("vultr", name),
        "kubeConfig": base64.b64encode(_kubeconfig(f"https://{host}:6443").encode()).decode(),
        "firewallGroupId": mock_id("vultr-fw", name),
        "clusterSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.96.0.0/12",
        "nodePools": pools,
    }


def _secret_value(kind: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def outputs(name: str, _inputs: dict[str, Any]) -> dict[str, Any]:
        return {kind: f"mock-{kind}-{_digest(name)[:16]}"}

    return outputs


def _civo_database(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    ip = mock_ip("civo-db", name)
    return {
        "endpoint": ip,
        "dnsEndpoint": f"{mock_id('db', name)}.db.civo.com",
        "port": 5432,
        "username": "civo",
        "password": f"mock-password-{_digest(name)[:16]}",
        "privateIpv4": "192.168.1.10",
        "status": "Ready",
    }


def _helm_release(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    release = inputs.get("name") or name
    return {
        "status": {
            "name": release,
            "namespace": inputs.get("namespace", "default"),
            "status": "deployed",
            "chart": inputs.get("chart"),
            "version": inputs.get("version"),
            "revision": 1,
        }
    }


def _random_password(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    # New keepers replace the password with a new random one; so does a new digest here.
    keepers = inputs.get("keepers")
    seed = [name, *(f"{k}={v}" for k, v in sorted(keepers.items()))] if keepers else [name]
    return {
        "result": f"mock-password-{_digest(*seed)[:20]}",
        "bcryptHash": "$2a$10$" + _digest("bcrypt", *seed)[:53],
    }


def _secret_version(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """terraform-provider-aws internal/service/secretsmanager/secret_version.go
    resourceSecretVersionRead: `d.Set("version_id", output.VersionId)`. AWS gives each
    PutSecretValue a new id, so here a new value gets a new one."""
    return {"versionId": _digest("secret-version", name, str(inputs.get("secretString")))[:32]}


def _k8s_secret(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if inputs.get("type") != "kubernetes.io/service-account-token":
        return {}
    token = base64.b64encode(f"mock-token-{_digest(name)[:24]}".encode()).decode()
    return {"data": {"token": token, "ca.crt": base64.b64encode(b"mock-ca").decode()}}


_OUTPUTS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "civo:index/kubernetesCluster:KubernetesCluster": _civo_cluster,
    "vultr:index/kubernetes:Kubernetes": _vultr_cluster,
    "civo:index/database:Database": _civo_database,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "kubernetes:core/v1:Secret": _k8s_secret,
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:iam/accessKey:AccessKey": _secret_value("secret"),
    "aws:iam/user:User": lambda name, i: {
        "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:user/{i.get('name', name)}"
    },
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:secretsmanager/secret:Secret": lambda name, i: {
        "arn": f"{SECRETS_ARN_PREFIX}:{i.get('name', name)}-AbCdEf"
    },
    "cloudflare:index/apiToken:ApiToken": _secret_value("value"),
}


def _filter_values(args: dict[str, Any]) -> list[str]:
    return [v for f in args.get("filters") or [] for v in f.get("values", [])]


# What Cloudflare's /user/tokens/permission_groups lists (a few of them): names repeat
# across scopes, as "Load Balancers Write" (zone) and "... Account Write" (account) show.
PERMISSION_GROUPS = [
    ("DNS Write", "com.cloudflare.api.account.zone"),
    ("DNS Read", "com.cloudflare.api.account.zone"),
    ("Zone Read", "com.cloudflare.api.account.zone"),
    ("Zone Settings Write", "com.cloudflare.api.account.zone"),
    ("Load Balancers Write", "com.cloudflare.api.account.zone"),
    ("Load Balancers Account Write", "com.cloudflare.api.account"),
    ("Load Balancing: Monitors and Pools Write", "com.cloudflare.api.account"),
    ("API Tokens Write", "com.cloudflare.api.user"),
]


def _permission_groups(args: dict[str, Any]) -> dict[str, Any]:
    """The API compares a `name` filter with the value as it arrives: the provider
    encodes it once more, so a pre-encoded name (`DNS%20Write`) matches nothing."""
    wanted = args.get("name")
    return {
        "results": [
            {
                "id": _digest("permission-group", name, scope)[:32],
                "name": name,
                "scopes": [scope],
            }
            for name, scope in PERMISSION_GROUPS
            if wanted is None or wanted == name
        ]
    }


_CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "civo:index/getKubernetesVersion:getKubernetesVersion": lambda _a: {
        "versions": [
            {"version": "1.32.5-k3s1", "label": "1.32.5-k3s1", "type": "k3s", "default": True}
        ]
    },
    "civo:index/getDatabaseVersion:getDatabaseVersion": lambda _a: {
        "versions": [{"engine": "PostgreSQL", "version": "17", "default": True}]
    },
    "vultr:index/getInstance:getInstance": lambda a: {
        "mainIp": mock_ip("node", *_filter_values(a)),
        "id": next(iter(_filter_values(a)), ""),
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda _a: {
        "accountId": MOCK_AWS_ACCOUNT,
        "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:user/pulumi",
        "userId": "AIDAMOCK",
    },
    "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList": (
        _permission_groups
    ),
    "cloudflare:index/getIpRanges:getIpRanges": lambda _a: {
        "ipv4Cidrs": CLOUDFLARE_IPV4,
        "ipv6Cidrs": CLOUDFLARE_IPV6,
        "etag": "mock",
    },
}


class PlanMocks(pulumi.runtime.Mocks):
    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        make = _OUTPUTS.get(args.typ)
        if make is not None:
            outputs.update(make(args.name, args.inputs))
        return mock_id(args.typ, args.name), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        handler = _CALLS.get(args.token)
        return handler(args.args) if handler else {}
