"""The alerts on backups, as a PrometheusRule of their own (group `database-backups`)
that the management cluster's Prometheus evaluates: the jobs run on that cluster, and its
kube-state-metrics reports their CronJobs (kubernetes/kube-state-metrics
internal/store/cronjob.go, read at v2.18.0: `kube_cronjob_status_last_schedule_time` and
`..._last_successful_time` are set only once the controller has set them,
`kube_cronjob_next_schedule_time` is the schedule's next slot after the last one it ran
and is absent while the CronJob is suspended).

- DatabaseBackupFailed: the last run started has not succeeded (or no run ever has)
  once a run's deadline and its retries are over.
- DatabaseBackupNotRunning: a slot went by an hour ago without a run, or the CronJob
  is suspended: nothing new arrives in the bucket.
- DatabaseBackupMissing: an app's CronJob is not there at all (deleted by hand, or the
  cluster rebuilt and not yet restored).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infra.backups.jobs import DEADLINE_SECONDS, NAMESPACE, job_name

GROUP = "database-backups"
RUNBOOK = "docs/runbooks/restore-database.md#when-a-backup-fails"
# A run and its retries end by the deadline; a little more lets the status settle.
FAILED_AFTER = f"{DEADLINE_SECONDS // 60 + 10}m"
LATE_SECONDS = 3600


def _rule(alert: str, expr: str, wait: str, summary: str, **labels: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": wait,
        "labels": {"severity": "critical", **labels},
        "annotations": {"summary": summary, "runbook_url": RUNBOOK},
    }


def backup_rules(apps: Sequence[str]) -> list[dict[str, Any]]:
    jobs = f'namespace="{NAMESPACE}"'
    scheduled = f"kube_cronjob_status_last_schedule_time{{{jobs}}}"
    succeeded = f"kube_cronjob_status_last_successful_time{{{jobs}}}"
    rules = [
        _rule(
            "DatabaseBackupFailed",
            f"{scheduled} > {succeeded} or ({scheduled} unless {succeeded})",
            FAILED_AFTER,
            "The last backup of app {{ $labels.cronjob }}'s database did not succeed",
        ),
        _rule(
            "DatabaseBackupNotRunning",
            f"time() - kube_cronjob_next_schedule_time{{{jobs}}} > {LATE_SECONDS}"
            f" or kube_cronjob_spec_suspend{{{jobs}}} == 1",
            "15m",
            "Backups of app {{ $labels.cronjob }}'s database are not being run",
        ),
    ]
    rules += [
        _rule(
            "DatabaseBackupMissing",
            f'absent(kube_cronjob_created{{{jobs}, cronjob="{job_name(app)}"}})',
            "1h",
            f"No backup job exists for app {app}'s database",
            # absent() has only the selector's labels; each app's rule is its own.
            app=app,
        )
        for app in sorted(apps)
    ]
    return [{"name": GROUP, "rules": rules}]
