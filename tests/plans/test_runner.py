"""The offline runner behaves like the engine where it matters to users."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.stackconfig import StackFile
from platform_cli.runner import redact, reveal, run_program

SECRET_ENVELOPE = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "value": "hunter2",
}


def test_a_urn_registered_twice_fails_the_plan(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi_random as random\n"
        "random.RandomId('same', byte_length=4)\n"
        "random.RandomId('same', byte_length=8)\n"
    )
    with pytest.raises(Exception, match="duplicate resource URN"):
        run_program(StackFile(stack="t", values={}), program)


def test_secrets_are_redacted_in_what_is_written_and_revealed_only_in_memory() -> None:
    inputs = {"stringData": {"token": SECRET_ENVELOPE}, "plain": ["a"]}
    assert redact(inputs) == {"stringData": {"token": "[secret]"}, "plain": ["a"]}
    assert reveal(inputs) == {"stringData": {"token": "hunter2"}, "plain": ["a"]}


def test_engine_secret_outputs_are_honoured(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi, pulumi_random as random\n"
        "pulumi.export('password', random.RandomPassword('p', length=16).result)\n"
    )
    run = run_program(StackFile(stack="t", values={}), program)
    assert run.stack_outputs == {"password": "[secret]"}
