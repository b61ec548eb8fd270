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

from infra.providers.outputs import rows_of
from infra.stackconfig import PLACEHOLDER_KUBECONFIG
from platform_cli.lookups import select

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


Inputs = dict[str, Any]
Answer = Callable[[str, Inputs], Any]


def _vultr_host(name: str) -> str:
    return f"{mock_id('vultr', name)}.vultr-k8s.com"


def _vultr_pools(name: str, inputs: Inputs) -> dict[str, Any]:
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
    return pools


def _secret_value(name: str, _inputs: Inputs) -> str:
    return f"mock-secret-{_digest(name)[:16]}"


def _password_seed(name: str, inputs: Inputs) -> list[str]:
    # New keepers replace the password with a new random one; so does a new digest here.
    keepers = inputs.get("keepers")
    return [name, *(f"{k}={v}" for k, v in sorted(keepers.items()))] if keepers else [name]


def _secret_version_id(name: str, inputs: Inputs) -> str:
    """AWS gives each PutSecretValue a new id, so here a new value gets a new one."""
    return _digest("secret-version", name, str(inputs.get("secretString")))[:32]


def _pem(kind: str, *seed: str) -> str:
    """A PEM block of made-up bytes, the same for the same resource (and key)."""
    body = base64.b64encode(bytes.fromhex(_digest(*seed) * 2)).decode()
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def _service_account_token(name: str, _inputs: Inputs) -> dict[str, str]:
    token = base64.b64encode(f"mock-token-{_digest(name)[:24]}".encode()).decode()
    return {"token": token, "ca.crt": base64.b64encode(b"mock-ca").decode()}


def _filter_values(args: Inputs) -> list[str]:
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


def _permission_groups(_name: str, args: Inputs) -> list[dict[str, Any]]:
    """The API compares a `name` filter with the value as it arrives: the provider
    encodes it once more, so a pre-encoded name (`DNS%20Write`) matches nothing."""
    wanted = args.get("name")
    return [
        {"id": _digest("permission-group", name, scope)[:32], "name": name, "scopes": [scope]}
        for name, scope in PERMISSION_GROUPS
        if wanted is None or wanted == name
    ]


_CIVO_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"
_CIVO_DATABASE = "civo:index/database:Database"
_VULTR_CLUSTER = "vultr:index/kubernetes:Kubernetes"

# A plausible answer for every row of infra.providers.outputs that the provider computes
# (rows whose value is the input as configured need none: inputs are echoed). The mock
# gives one only when the row's condition holds; tests check both sets match.
ANSWERS: dict[tuple[str, str], Answer] = {
    (_CIVO_CLUSTER, "apiEndpoint"): lambda name, _i: f"https://{mock_ip('civo', name)}:6443",
    (_CIVO_CLUSTER, "masterIp"): lambda name, _i: mock_ip("civo", name),
    (_CIVO_CLUSTER, "kubeconfig"): lambda name, _i: _kubeconfig(
        f"https://{mock_ip('civo', name)}:6443"
    ),
    (_CIVO_DATABASE, "endpoint"): lambda name, _i: mock_ip("civo-db", name),
    # The API reports 0 as the top-level port (see its row): the program must not use it.
    (_CIVO_DATABASE, "port"): lambda _n, _i: 0,
    (_CIVO_DATABASE, "username"): lambda _n, _i: "civo",
    (_CIVO_DATABASE, "password"): lambda name, _i: f"mock-password-{_digest(name)[:16]}",
    # The cloud runs the size it was asked for, until a resize the provider drops.
    (_CIVO_DATABASE, "size"): lambda _n, inputs: inputs.get("size"),
    (_VULTR_CLUSTER, "endpoint"): lambda name, _i: _vultr_host(name),
    (_VULTR_CLUSTER, "kubeConfig"): lambda name, _i: base64.b64encode(
        _kubeconfig(f"https://{_vultr_host(name)}:6443").encode()
    ).decode(),
    (_VULTR_CLUSTER, "firewallGroupId"): lambda name, _i: mock_id("vultr-fw", name),
    (_VULTR_CLUSTER, "nodePools"): _vultr_pools,
    ("aws:iam/accessKey:AccessKey", "secret"): _secret_value,
    ("cloudflare:index/apiToken:ApiToken", "value"): _secret_value,
    ("kubernetes:core/v1:Secret", "data"): _service_account_token,
    ("random:index/randomPassword:RandomPassword", "result"): lambda name, inputs: (
        f"mock-password-{_digest(*_password_seed(name, inputs))[:20]}"
    ),
    ("random:index/randomPassword:RandomPassword", "bcryptHash"): lambda name, inputs: (
        "$2a$10$" + _digest("bcrypt", *_password_seed(name, inputs))[:53]
    ),
    ("aws:secretsmanager/secretVersion:SecretVersion", "versionId"): _secret_version_id,
    ("tls:index/privateKey:PrivateKey", "privateKeyPem"): lambda name, _i: _pem(
        "RSA PRIVATE KEY", "tls-key", name
    ),
    ("tls:index/selfSignedCert:SelfSignedCert", "certPem"): lambda name, inputs: _pem(
        "CERTIFICATE", "tls-cert", name, str(inputs.get("privateKeyPem"))
    ),
    ("tls:index/certRequest:CertRequest", "certRequestPem"): lambda name, _i: _pem(
        "CERTIFICATE REQUEST", name
    ),
    ("tls:index/locallySignedCert:LocallySignedCert", "certPem"): lambda name, _i: _pem(
        "CERTIFICATE", name
    ),
    # Data sources: asked with the invoke's arguments in place of inputs.
    ("civo:index/getKubernetesVersion:getKubernetesVersion", "versions"): lambda _n, _a: [
        # The data source labels a version `v<version>` (L47).
        {"version": "1.32.5-k3s1", "label": "v1.32.5-k3s1", "type": "k3s", "default": True}
    ],
    ("vultr:index/getInstance:getInstance", "mainIp"): lambda _n, args: mock_ip(
        "node", *_filter_values(args)
    ),
    ("aws:index/getCallerIdentity:getCallerIdentity", "accountId"): lambda _n, _a: MOCK_AWS_ACCOUNT,
    (
        "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList",
        "results",
    ): _permission_groups,
    ("cloudflare:index/getIpRanges:getIpRanges", "ipv4Cidrs"): lambda _n, _a: CLOUDFLARE_IPV4,
    # Where a real `up` ends up once Cloudflare has deployed the upload.
    (
        "cloudflare:index/getAuthenticatedOriginPullsCertificate:"
        "getAuthenticatedOriginPullsCertificate",
        "status",
    ): lambda _n, _a: "active",
}


def answered(token: str, name: str, inputs: Inputs) -> dict[str, Any]:
    """What the provider fills for a resource (or returns for an invoke): its rows whose
    condition holds, answered; the rest absent, as the real provider leaves them."""
    return {
        row.path: ANSWERS[(row.token, row.path)](name, inputs)
        for row in rows_of(token)
        if (row.token, row.path) in ANSWERS and row.filled.holds(inputs)
    }


def unfilled(token: str, inputs: Inputs) -> set[str]:
    """Outputs the provider leaves empty for these inputs: no row of theirs holds."""
    rows = rows_of(token)
    held = {row.path for row in rows if row.filled.holds(inputs)}
    return {row.path for row in rows} - held


class PlanMocks(pulumi.runtime.Mocks):
    """Answers from ``infra.providers.outputs`` and nowhere else: every input echoed (the
    providers keep the configured values in state), and each listed output the provider
    computes, when the row's condition holds."""

    def __init__(self) -> None:
        # What each data source answered, for the inputs `up` will decide afresh.
        self.looked_up: list[tuple[str, Any]] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        outputs = {k: v for k, v in args.inputs.items() if k not in unfilled(args.typ, args.inputs)}
        outputs.update(answered(args.typ, args.name, args.inputs))
        return mock_id(args.typ, args.name), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        answers = answered(args.token, args.token, dict(args.args))
        # Only the fields the program reads can reach an input.
        self.looked_up += [
            (args.token, value)
            for row in rows_of(args.token)
            if row.looked_up and row.path in answers
            for field in row.fields or ("",)
            for value in select(answers[row.path], field)
        ]
        return answers
