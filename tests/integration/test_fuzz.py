"""Fuzzing every command with hostile trees: no traceback, no hang, no byte lost, rollback exact.

Each drawn tree (:mod:`tests.hostile_trees`: a legacy tree with FIFOs,
device links, JSON nested 100,000 deep, names that are not UTF-8 and
unreadable folders) goes through ``catalog``, ``validate``, ``registry``,
``migrate plan``, ``apply`` and ``rollback`` as real ``ocr`` processes, each
with a time limit (a hang fails), run as a user that permission bits apply
to (``tests.unprivileged``). Every command must end with an exit code it
documents, and print no traceback; an applied migration must keep every
byte, and its rollback must give back the exact tree.

The default suite draws a few trees; ``nox -s fuzz`` draws many
(``OCR_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from ocr.compat import set_legacy_enabled
from tests.hostile_trees import HostileTree, hostile_trees, materialize_hostile
from tests.strategies import fuzz_settings
from tests.tree_snapshot import file_digests, snapshot
from tests.unprivileged import as_other_user, hand_over

pytestmark = pytest.mark.timeout(3600)
_SECONDS = 60
_EXITS = {"catalog": {0}, "validate": {0, 1}, "registry": {0}, "migrate": {0, 2}}
"""The exit codes each command documents: 1 is validate's "problems found", 2 bad input."""


@pytest.fixture(autouse=True, scope="module")
def _legacy_support_on() -> object:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


def _ocr(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COVERAGE")}
    try:
        done = subprocess.run(
            [*as_other_user(), sys.executable, "-m", "ocr.cli", *args],
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=_SECONDS,
            check=False,
            env={**env, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"},
            cwd="/",
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"ocr {' '.join(args)} hung for {_SECONDS} s")
    assert "Traceback" not in done.stderr, (args, done.stderr)
    assert done.returncode in _EXITS[args[0]], (args, done.returncode, done.stderr)
    if done.returncode == 2:
        assert len(done.stderr.strip().splitlines()) >= 1  # the one line says why
    return done


@given(hostile=hostile_trees())
@fuzz_settings
def test_no_command_hangs_crashes_or_loses_a_byte_when_the_tree_is_hostile(
    hostile: HostileTree,
) -> None:
    with tempfile.TemporaryDirectory(prefix="ocr-fuzz-") as tmp:
        base = Path(tmp).resolve()
        base.chmod(0o755)
        try:
            materialize_hostile(hostile, base)
            hand_over(base)
            _every_command(base)
        finally:
            for current, dirs, _ in os.walk(base):
                for name in dirs:
                    Path(current, name).chmod(0o755)  # so the folder can be removed


def _every_command(base: Path) -> None:
    root = str(base / "outputs")
    listed = _ocr("catalog", root, "--format", "json")
    json.loads(listed.stdout)  # strict JSON, whatever the names
    json.loads(_ocr("validate", root, "--format", "json").stdout)
    _ocr("registry", "list", root)
    _ocr("migrate", "plan", root)
    before = snapshot(base)
    applied = _ocr("migrate", "apply", root)
    if applied.returncode == 0:
        kept = set(file_digests(before).values()) <= set(file_digests(snapshot(base)).values())
        assert kept, "a file's bytes were lost"
        _ocr("catalog", root, "--format", "json")
        _ocr("validate", root)
        _ocr("registry", "list", root)
    status = json.loads(_ocr("migrate", "status", root, "--format", "json").stdout)
    if status:
        assert _ocr("migrate", "rollback", root).returncode == 0
    after = snapshot(base)
    state = f"{Path(root).name}/.ocr/"
    # The catalog's own index may stay (a cache); the tree is exactly as it was.
    assert {k: v for k, v in after.items() if not k.startswith(state)} == {
        k: v for k, v in before.items() if not k.startswith(state)
    }
