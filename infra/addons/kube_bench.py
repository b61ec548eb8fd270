"""kube-bench: the CIS benchmark for the cluster's distribution, on a schedule.

Civo runs k3s and Vultr VKE a kubeadm-style upstream Kubernetes, both with a managed
control plane, so only the `node` target is ours to check. kube-bench needs the host's
process table and files (hostPID, read-only hostPath mounts, modelled on
aquasecurity/kube-bench v0.15.6 job-node.yaml), so it gets a namespace of its own at Pod
Security `privileged`, and nothing else runs there. It cannot write to the Kubernetes API
(cmd/common.go, v0.15.6): results are the Job's logs, kept for the last few runs.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext
from infra.versions import KUBE_BENCH_IMAGE

NAMESPACE = "kube-bench"
NAME = "kube-bench-node"
# Weekly, early Monday UTC; results stay readable for a month.
SCHEDULE = "17 4 * * 1"
RUNS_KEPT = 4
RESULTS_KEPT_SECONDS = 31 * 24 * 3600
# kube-bench v0.15.6 cfg/config.yaml: k3s-cis-1.9 is its newest k3s profile; cis-1.12
# covers Kubernetes 1.32-1.34 and is the newest generic one. Named, not detected: its
# version mapping stops at 1.34.
BENCHMARKS = {"civo": "k3s-cis-1.9", "vultr": "cis-1.12", "existing": "cis-1.12"}
# Host paths the node checks read: upstream's, without the control-plane ones.
GENERIC_PATHS = {
    "var-lib-cni": "/var/lib/cni",
    "var-lib-kubelet": "/var/lib/kubelet",
    "etc-systemd": "/etc/systemd",
    "lib-systemd": "/lib/systemd",
    "srv-kubernetes": "/srv/kubernetes",
    "etc-kubernetes": "/etc/kubernetes",
    "etc-cni-netd": "/etc/cni/net.d",
    "opt-cni-bin": "/opt/cni/bin",
}
# k3s keeps the kubelet's kubeconfig, certificates and its own config here
# (cfg/k3s-cis-1.9/config.yaml and node.yaml).
K3S_PATHS = {"var-lib-rancher": "/var/lib/rancher", "etc-rancher": "/etc/rancher"}
# kube-bench finds kubelet and kubectl here to read their versions and flags.
HOST_BIN = ("usr-bin", "/usr/bin", "/usr/local/mount-from-host/bin")


def command(provider: str) -> list[str]:
    return ["kube-bench", "run", "--targets", "node", "--benchmark", BENCHMARKS[provider]]


def host_paths(provider: str) -> dict[str, str]:
    return {**GENERIC_PATHS, **(K3S_PATHS if provider == "civo" else {})}


def pod_spec(provider: str) -> k8s.core.v1.PodSpecArgs:
    paths = host_paths(provider)
    mounts = [
        k8s.core.v1.VolumeMountArgs(name=name, mount_path=path, read_only=True)
        for name, path in paths.items()
    ] + [k8s.core.v1.VolumeMountArgs(name=HOST_BIN[0], mount_path=HOST_BIN[2], read_only=True)]
    volumes = [
        k8s.core.v1.VolumeArgs(name=name, host_path=k8s.core.v1.HostPathVolumeSourceArgs(path=path))
        for name, path in {**paths, HOST_BIN[0]: HOST_BIN[1]}.items()
    ]
    return k8s.core.v1.PodSpecArgs(
        host_pid=True,
        restart_policy="Never",
        # The node checks read files and processes, never the Kubernetes API.
        automount_service_account_token=False,
        containers=[
            k8s.core.v1.ContainerArgs(
                name="kube-bench",
                image=KUBE_BENCH_IMAGE,
                command=command(provider),
                volume_mounts=mounts,
                security_context=k8s.core.v1.SecurityContextArgs(allow_privilege_escalation=False),
            )
        ],
        volumes=volumes,
    )


class KubeBench:
    def __init__(self, ctx: AddonContext, provider: str) -> None:
        namespace = ctx.namespace(
            NAMESPACE,
            pod_security="privileged",
            reason="kube-bench reads the node's processes and files (hostPID, hostPath)",
        )
        self.cron_job = k8s.batch.v1.CronJob(
            ctx.name(NAME),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=NAMESPACE),
            spec=k8s.batch.v1.CronJobSpecArgs(
                schedule=SCHEDULE,
                time_zone="Etc/UTC",
                concurrency_policy="Forbid",
                successful_jobs_history_limit=RUNS_KEPT,
                failed_jobs_history_limit=RUNS_KEPT,
                job_template=k8s.batch.v1.JobTemplateSpecArgs(
                    spec=k8s.batch.v1.JobSpecArgs(
                        backoff_limit=0,
                        ttl_seconds_after_finished=RESULTS_KEPT_SECONDS,
                        template=k8s.core.v1.PodTemplateSpecArgs(
                            metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": NAME}),
                            spec=pod_spec(provider),
                        ),
                    )
                ),
            ),
            opts=ctx.opts(depends_on=namespace.after),
        )
