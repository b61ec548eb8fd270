"""Authenticated Origin Pulls: nothing on the origins requires the zone's certificate
before Cloudflare presents it, on the first `up` and on a replacement of the leaf."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.credentials import origin_pulls
from infra.stackconfig import read_stack_file
from platform_cli import mocks
from platform_cli.runner import PROJECT_DIR, PlanRun, run_program
from tests.planview import PlanView

LOOKUP = (
    "cloudflare:index/getAuthenticatedOriginPullsCertificate:getAuthenticatedOriginPullsCertificate"
)
SETTINGS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
UPLOAD = "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"
PROGRAM = (
    "from infra.credentials.origin_pulls import zone_origin_pulls\n"
    "zone_origin_pulls('dev', '00112233445566778899aabbccddeeff')\n"
)


def test_the_zone_setting_waits_for_the_upload_to_be_active(prod: PlanView) -> None:
    """The setting's `enabled` comes from the wait on the upload's status (read live on
    every run), and every CA Secret the origins verify against waits for the setting."""
    upload = prod.one(UPLOAD, "origin-pulls-upload")
    settings = prod.one(SETTINGS, "origin-pulls")
    assert upload.urn in settings.property_dependencies.get("enabled", [])
    assert (LOOKUP, "status") in prod.run.reads
    cas = [
        s for s in prod.of_type("core/v1:Secret") if s.name.endswith("cloudflare-origin-pull-ca")
    ]
    assert cas and all(settings.urn in ca.dependencies for ca in cas)


def _plan_with_statuses(
    statuses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], PlanRun]:
    """The origin-pulls resources alone, planned while Cloudflare answers ``statuses``
    one after the other (the last one from then on)."""
    asked: list[dict[str, Any]] = []
    answers: Iterator[str] = iter(statuses)
    last = [statuses[0]]

    def status(_name: str, args: dict[str, Any]) -> str:
        asked.append(args)
        last[0] = next(answers, last[0])
        return last[0]

    monkeypatch.setitem(mocks.ANSWERS, (LOOKUP, "status"), status)
    monkeypatch.setattr(origin_pulls, "POLL_SECONDS", 0, raising=False)
    program = tmp_path / "origin_pulls.py"
    program.write_text(PROGRAM)
    return asked, run_program(read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml"), program)


def test_the_setting_is_enabled_once_the_certificate_is_active(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked, run = _plan_with_statuses(
        ["initializing", "pending_deployment", "pending_deployment", "active"],
        tmp_path,
        monkeypatch,
    )
    assert len(asked) == 4
    (upload,) = [r for r in run.registrations if r.type == UPLOAD]
    assert {a["certificateId"] for a in asked} == {mocks.mock_id(UPLOAD, upload.name)}
    (settings,) = [r for r in run.registrations if r.type == SETTINGS]
    assert settings.revealed_inputs["enabled"] is True


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("pending_deployment", "run `pulumi up` again"),
        ("deployment_timed_out", "upload another with `pulumi up --replace`"),
    ],
)
def test_a_certificate_that_is_not_active_stops_up_before_the_origins_require_it(
    status: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`up` fails with a message, and the zone setting (so every origin's client check,
    which waits for it) is never registered: nothing is refused while Cloudflare cannot
    present the certificate. Pulumi deletes nothing after a program error, so on a
    replacement the old certificate stays until a later `up` completes."""
    monkeypatch.setattr(origin_pulls, "WAIT_SECONDS", 0, raising=False)
    with pytest.raises(Exception, match="origin-pull certificate") as failed:
        _plan_with_statuses([status], tmp_path, monkeypatch)
    assert status in str(failed.value) and says in str(failed.value)


@pytest.mark.parametrize(
    ("status", "fails"),
    [("pending_deployment", False), ("deployment_timed_out", True)],
)
def test_a_preview_says_what_up_will_do_with_a_certificate_not_active(
    status: str, fails: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview reads the status once and does not wait, but it does not keep quiet:
    `up` would wait for a pending upload (a warning) and can never use a dead one (an
    error), so `pulumi preview` says so."""
    warned: list[str] = []
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_a, **_k: warned.append(message))
    if fails:
        with pytest.raises(Exception, match="upload another with `pulumi up --replace`"):
            _plan_with_statuses([status], tmp_path, monkeypatch)
        return
    asked, _ = _plan_with_statuses([status], tmp_path, monkeypatch)
    assert len(asked) == 1
    assert any(status in w and "`pulumi up` waits" in w for w in warned), warned


def test_a_certificate_deleted_outside_pulumi_says_to_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data source fails with Cloudflare's 404 once the upload is gone (deleted in the
    dashboard); the resource's own read drops it from the state on a refresh, after which
    `up` uploads a new one. The error says that, not only the HTTP status."""

    def gone(_name: str, _args: dict[str, Any]) -> str:
        raise RuntimeError(
            'failed to make http request: GET ".../origin_tls_client_auth/x": 404 Not Found'
        )

    monkeypatch.setitem(mocks.ANSWERS, (LOOKUP, "status"), gone)
    program = tmp_path / "origin_pulls.py"
    program.write_text(PROGRAM)
    with pytest.raises(Exception, match="pulumi refresh") as failed:
        run_program(read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml"), program)
    assert "404 Not Found" in str(failed.value)
