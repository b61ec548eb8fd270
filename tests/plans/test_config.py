"""Stack config validation: what is accepted, and what each mistake says."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.stackconfig import load, read_stack_file
from infra.validation import ConfigError
from platform_cli import main
from platform_cli.runner import PROJECT_DIR


def errors_of(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_are_valid(stack: str) -> None:
    config = load(read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml").values).config
    assert config.environment == stack
    assert config.traffic_controller == "envoy-gateway"


def _drop_domain(c: dict[str, Any]) -> None:
    del c["platform:domain"]


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(c: dict[str, Any]) -> None:
        c[f"platform:{key}"] = value

    return edit


def _mgmt(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def edit(c: dict[str, Any]) -> None:
        c["platform:mgmtCluster"] = {**c["platform:mgmtCluster"], **fields}

    return edit


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("missing domain", _drop_domain, ["error: platform:domain: Field required"]),
    (
        "unknown provider",
        _mgmt(provider="aws"),
        [
            "error: platform:mgmtCluster.provider: unknown provider 'aws'; expected one of 'civo', 'vultr', 'existing'"
        ],
    ),
    (
        "unknown region",
        _mgmt(region="MARS1"),
        [
            "error: platform:mgmtCluster.region: unknown Civo region 'MARS1'; expected one of LON1, FRA1, NYC1, PHX1"
        ],
    ),
    (
        "node count 0",
        _mgmt(nodeCount=0),
        ["error: platform:mgmtCluster.nodeCount: Input should be greater than or equal to 1"],
    ),
    (
        "unknown key",
        _set("domian", "x.example.com"),
        ["error: platform:domian: unknown key; did you mean 'domain'?"],
    ),
    (
        "unknown nested key",
        _mgmt(nodes=3),
        [
            "error: platform:mgmtCluster.nodes: unknown key; the keys here are egressCidrs, "
            "kubernetesVersion, nodeCount, nodeSize, provider, region"
        ],
    ),
    (
        "vultr region on vultr",
        _mgmt(
            provider="vultr", region="LON1", nodeSize="vc2-2c-4gb", kubernetesVersion="v1.33.0+1"
        ),
        [
            "error: platform:mgmtCluster.region: unknown Vultr region 'LON1'; expected one of ams, atl, dfw, ewr, lax, mel, mia, ord, sea, sjc, yto"
        ],
    ),
    (
        "admin CIDR that is the whole internet",
        _set("adminCidrs", ["0.0.0.0/0"]),
        [
            "error: platform:adminCidrs[0]: '0.0.0.0/0' admits the whole internet; list the addresses you own"
        ],
    ),
    (
        "aws region mismatch",
        _set("awsRegion", "eu-west-1"),
        [
            "error: platform:awsRegion: 'eu-west-1' differs from aws:region 'eu-west-2'; the secrets must live where the clusters read them"
        ],
    ),
    (
        "existing cluster without kubeconfig",
        _mgmt(provider="existing", region="local", nodeSize=None, nodeCount=None),
        [],  # checked below: the leftover keys are reported, and the kubeconfig
    ),
]


@pytest.mark.parametrize(
    ("case", "edit", "expected"), [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]]
)
def test_each_mistake_exits_2_naming_its_field(
    case: str,
    edit: Callable[[dict[str, Any]], None],
    expected: list[str],
    write_config: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--config", str(write_config(edit=edit))]) == 2, case
    assert errors_of(capsys) == expected


def test_several_mistakes_are_reported_at_once(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(c: dict[str, Any]) -> None:
        _drop_domain(c)
        _mgmt(region="MARS1", nodeCount=0, colour="blue")(c)
        _set("trafficController", "haproxy")(c)

    assert main(["plan", "--config", str(write_config(edit=edit))]) == 2
    errors = errors_of(capsys)
    assert [e.split(":")[1] + ":" + e.split(":")[2] for e in errors] == [
        " platform:domain",
        " platform:mgmtCluster.colour",
        " platform:mgmtCluster.nodeCount",
        " platform:mgmtCluster.region",
        " platform:trafficController",
    ]


def test_invalid_config_prints_no_traceback(write_config: Callable[..., Path]) -> None:
    path = write_config(edit=_mgmt(provider="aws"))
    result = subprocess.run(
        [sys.executable, "-m", "platform_cli", "plan", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: platform:mgmtCluster.provider: unknown provider 'aws'; expected one of 'civo', 'vultr', 'existing'"
    ]


def test_existing_cluster_needs_a_secret_kubeconfig(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["platform:mgmtCluster"] = {"provider": "existing"}

    assert main(["plan", "--config", str(write_config(edit=edit))]) == 2
    assert errors_of(capsys) == [
        "error: platform:mgmtCluster.egressCidrs: required with workload clusters: their "
        "Kubernetes APIs admit only adminCidrs and these, so Argo CD could not reach them",
        "error: platform:mgmtKubeconfig: required when mgmtCluster.provider is 'existing' "
        "(pulumi config set --secret platform:mgmtKubeconfig < kubeconfig.yaml)",
    ]


def test_kubeconfig_for_a_cluster_pulumi_creates_is_rejected(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["platform:mgmtKubeconfig"] = {"secure": "v1:placeholder"}

    assert main(["plan", "--config", str(write_config(edit=edit))]) == 2
    assert errors_of(capsys) == [
        "error: platform:mgmtKubeconfig: only used when mgmtCluster.provider is 'existing'; remove it"
    ]


def test_ingress_nginx_warns_that_it_is_retired(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_config(edit=_set("trafficController", "ingress-nginx"))
    assert main(["plan", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    assert (
        "warning: platform:trafficController: ingress-nginx was retired upstream in March 2026"
        in capsys.readouterr().err
    )


def test_unknown_chart_override_is_rejected() -> None:
    with pytest.raises(ConfigError) as err:
        load(
            {
                **read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml").values,
                "platform:chartVersions": '{"traefik": "1.0"}',
            }
        )
    assert [p.path for p in err.value.problems] == ["platform:chartVersions"]
