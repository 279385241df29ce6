"""Hostile files never hang a command, exhaust memory, leak an outside file, or print a traceback.

Issue 11, items 8, 9, 12, 13, 14 and 22. Every command is a real ``ocr``
process with a time limit, so a hang fails the test instead of the suite;
the files are real FIFOs, links to ``/dev/zero`` and out of the root, JSON
nested 100,000 deep, and folder names that are not UTF-8.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from ocr.layout import RootLayout, RunLayout
from ocr.naming import sidecar_path
from ocr.registry import ExperimentRegistry
from tests.conftest import LEGACY_FIXTURES
from tests.sidecar_checkpoints import save_checkpoint
from tests.tree_snapshot import snapshot

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(300)
RUN = "2025-10-18/14-03-22"
LEGACY = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
_SECONDS = 60
_DEEP = b"[" * 100_000 + b"]" * 100_000


def ocr(*args: str, encoding: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``ocr ARGS`` in a real process; a hang fails after a minute."""
    env = dict(os.environ)
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    done = subprocess.run(
        [sys.executable, "-m", "ocr.cli", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=_SECONDS,
        check=False,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A new-layout root with one registered run and two checkpoints with sidecars."""
    root = tmp_path / "outputs"
    run_dir = root / RUN
    RunLayout(run_dir).checkpoint_dir.mkdir(parents=True)
    ExperimentRegistry(root).start_run(run_dir, name="run")
    no_config = {"config_hash": None}  # the run keeps no saved config
    save_checkpoint(run_dir, "epoch=01-step=000010.ckpt", epoch=1, step=10, config=no_config)
    save_checkpoint(run_dir, "last.ckpt", epoch=2, step=20, config=no_config)
    return root


def _problems(root: Path) -> dict[str, tuple[str, str]]:
    done = ocr("validate", str(root), "--format", "json")
    assert done.returncode == 1, done.stdout
    return {p["path"]: (p["kind"], p["message"]) for p in json.loads(done.stdout)["problems"]}


def _entries(*args: str) -> dict[str, dict[str, object]]:
    done = ocr("catalog", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return {entry["path"]: entry for entry in json.loads(done.stdout)}


# -- item 8: FIFOs, devices, unbounded files ---------------------------------------


def test_a_fifo_sidecar_is_an_invalid_sidecar_when_listed_and_validated(root: Path) -> None:
    checkpoint = root / RUN / "checkpoints" / "last.ckpt"
    sidecar_path(checkpoint).unlink()
    os.mkfifo(sidecar_path(checkpoint))
    entry = _entries(str(root))[str(checkpoint)]
    assert entry["sidecar"] == "invalid"
    assert entry["problems"] == [
        f"{str(sidecar_path(checkpoint))!r} is a FIFO, not a regular file, so it was not read. "
        "Replace it with the file it stands for, or remove it"
    ]
    kind, message = _problems(root)[f"outputs/{RUN}/checkpoints/last.ckpt.meta.json"]
    assert kind == "sidecar-invalid"
    assert message.endswith(
        "is a FIFO, not a regular file, so it was not read. Replace it "
        "with the file it stands for, or remove it"
    )


def test_a_sidecar_linked_to_dev_zero_is_refused_without_reading_it(root: Path) -> None:
    checkpoint = root / RUN / "checkpoints" / "last.ckpt"
    sidecar_path(checkpoint).unlink()
    sidecar_path(checkpoint).symlink_to("/dev/zero")
    entry = _entries(str(root), "--rescan")[str(checkpoint)]
    assert entry["sidecar"] == "invalid"
    assert "is a link out of the folders being read" in str(entry["problems"])


def test_a_fifo_checkpoint_is_no_checkpoint_and_weights_reading_never_waits(root: Path) -> None:
    fifo = root / "exp1" / "checkpoints" / "epoch=1-step=2.ckpt"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    (fifo.parent / "best.ckpt").write_bytes(b"no torch checkpoint")
    assert str(fifo) not in _entries(str(root), "--read-weights")
    kind, message = _problems(root)[f"outputs/exp1/checkpoints/{fifo.name}"]
    assert (kind, message) == (
        "checkpoint-undiscoverable",
        "it is no regular file (a FIFO, a device or a socket), so it holds no checkpoint and the "
        "catalog does not list it. Replace it with the checkpoint file, or remove it",
    )


def test_a_fifo_record_is_skipped_with_a_warning_when_listing_runs(root: Path) -> None:
    record = RunLayout(root / RUN).record_file
    record.unlink()
    os.mkfifo(record)
    done = ocr("registry", "list", str(root), "--format", "json")
    assert (done.returncode, json.loads(done.stdout)) == (0, [])
    assert "is a FIFO, not a regular file, so it was not read" in done.stderr
    kind, _ = _problems(root)[f"outputs/{RUN}/run.json"]
    assert kind == "record-invalid"


def test_fifo_legacy_files_neither_hang_nor_stop_a_migration(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for era in "ABCD":
        _copy_tree(LEGACY_FIXTURES / era, project)
    run = project / "outputs" / LEGACY
    for fifo in (
        run / "checkpoints" / "epoch=9-step=9.metadata.yaml",
        run / ".hydra" / "launcher.yaml",
        run / "debug.log",
    ):
        os.mkfifo(fifo)
    before = snapshot(project)
    root = str(project / "outputs")
    assert ocr("migrate", "plan", root).returncode == 0
    assert ocr("migrate", "apply", root).returncode == 0
    assert ocr("migrate", "rollback", root).returncode == 0
    assert snapshot(project) == before


def _copy_tree(source: Path, into: Path) -> None:
    import shutil

    shutil.copytree(source, into, dirs_exist_ok=True)


# -- item 9: one rule for every file kind: no link out of the root ------------------


def test_links_out_of_the_root_are_never_followed_for_any_file_kind(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    checkpoint = root / RUN / "checkpoints" / "last.ckpt"
    sidecar = sidecar_path(checkpoint)
    sidecar.rename(outside / sidecar.name)  # a valid sidecar, out of the tree
    sidecar.symlink_to(outside / sidecar.name)
    record = RunLayout(root / RUN).record_file
    record.rename(outside / "run.json")
    record.symlink_to(outside / "run.json")
    entry = _entries(str(root))[str(checkpoint)]
    assert entry["sidecar"] == "invalid"
    assert entry["experiment_id"] is None  # the outside record was not read either
    listed = ocr("registry", "list", str(root), "--format", "json")
    assert json.loads(listed.stdout) == []
    problems = _problems(root)
    assert problems[f"outputs/{RUN}/run.json"][0] == "record-invalid"
    assert problems[f"outputs/{RUN}/checkpoints/last.ckpt.meta.json"][0] == "sidecar-invalid"


def test_an_outward_checkpoint_link_is_named_for_what_it_is_when_validated(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "foreign.ckpt").write_bytes(b"another tree's checkpoint")
    link = root / "exp1" / "checkpoints" / "foreign.ckpt"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside / "foreign.ckpt")
    assert str(link) not in _entries(str(root))
    assert _problems(root)["outputs/exp1/checkpoints/foreign.ckpt"] == (
        "checkpoint-undiscoverable",
        "it is a link out of the output root, and ocr never follows a link out of the folders it "
        "reads, so the catalog does not list it. Copy the checkpoint into the root, or remove "
        "the link",
    )


# -- item 12: a crafted index is a hint, never an authority --------------------------


def _write_index(root: Path, payload: Any) -> None:  # any marshal data at all
    data = marshal.dumps(payload)
    header = {
        "schema_version": 4,
        "sha256": hashlib.sha256(data).hexdigest(),
        "python": sys.version.split()[0],
    }
    index = RootLayout(root).catalog_index_file
    index.parent.mkdir(exist_ok=True)
    index.write_bytes(json.dumps(header).encode() + b"\n" + data)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([1, 2, 3], id="a-list"),
        pytest.param({"folders": {}, "entries": {}, "scope": None, "x": 1}, id="extra-key"),
        pytest.param({"folders": {"/": (1, (), {}, ())}, "entries": {}, "scope": ()}, id="root"),
        pytest.param({"folders": [], "entries": {}, "scope": ()}, id="wrong-type"),
    ],
)
def test_an_index_whose_payload_is_not_an_index_is_rebuilt(root: Path, payload: object) -> None:
    expected = _entries(str(root), "--rescan")
    _write_index(root, payload)
    done = ocr("catalog", str(root), "--format", "json")
    assert done.returncode == 0
    assert {entry["path"] for entry in json.loads(done.stdout)} == set(expected)
    assert "is unreadable" in done.stderr and "rebuilding it" in done.stderr


@pytest.mark.parametrize(
    ("listed_by", "poison"),
    [
        pytest.param("run", "/etc/shadow", id="a-file-outside-in-a-run-folder"),
        pytest.param("/etc", "/etc/shadow", id="a-folder-outside"),
        pytest.param("run", "{folder}/../../../../etc/shadow", id="climbing-out"),
    ],
)
def test_a_poisoned_index_entry_never_lists_a_file_outside_the_root(
    root: Path, listed_by: str, poison: str
) -> None:
    _entries(str(root))  # a true index
    folder = str(root / RUN / "checkpoints")
    owner = folder if listed_by == "run" else listed_by
    path = poison.format(folder=folder)
    with RootLayout(root).catalog_index_file.open("rb") as index:
        _, _, payload = index.read().partition(b"\n")
    data = marshal.loads(payload)  # noqa: S302 (the index this test just made)
    mtime, subfolders, checkpoints, in_folders = data["folders"].get(owner, (0, (), {}, ()))
    row = list(next(iter(data["entries"].values()))[0])
    row[0] = path
    data["entries"][path] = (tuple(row), (owner,))
    data["folders"][owner] = (
        mtime,
        subfolders,
        {**checkpoints, path: (4096, 0, False)},
        in_folders,
    )
    _write_index(root, data)
    done = ocr("catalog", str(root), "--format", "json")
    assert path not in {entry["path"] for entry in json.loads(done.stdout)}
    assert "is unreadable" in done.stderr and "rebuilding it" in done.stderr
    assert ocr("validate", str(root)).returncode == 0


# -- item 13: JSON nested 100,000 deep -----------------------------------------------


def test_deep_json_is_invalid_json_for_every_command(tmp_path: Path, root: Path) -> None:
    checkpoint = root / RUN / "checkpoints" / "last.ckpt"
    sidecar_path(checkpoint).write_bytes(_DEEP)
    RunLayout(root / "2025-10-18" / "15-00-00").checkpoint_dir.mkdir(parents=True)
    (root / "2025-10-18" / "15-00-00" / "run.json").write_bytes(_DEEP)
    legacy = root / "exp1" / "checkpoints"
    legacy.mkdir(parents=True)
    (legacy / "epoch=1-step=2.ckpt").write_bytes(b"x")
    (legacy / "epoch=1-step=2.metadata.json").write_bytes(_DEEP)
    entry = _entries(str(root))[str(checkpoint)]
    assert entry["sidecar"] == "invalid"
    assert "nested too deeply to be read" in str(entry["problems"])
    assert ocr("registry", "list", str(root)).returncode == 0
    assert ocr("migrate", "plan", str(root)).returncode == 0
    kind, message = _problems(root)[f"outputs/{RUN}/checkpoints/last.ckpt.meta.json"]
    assert kind == "sidecar-invalid" and "nested too deeply to be read" in message


# -- item 14: names that are not UTF-8 -----------------------------------------------


def test_a_folder_name_that_is_not_utf8_is_kept_exactly_through_every_command(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    root = project / "outputs"
    odd = os.fsdecode(os.fsencode(root) + b"/exp\xff1")
    checkpoints = RunLayout(root / odd).checkpoint_dir
    checkpoints.mkdir(parents=True)
    (checkpoints / "epoch=1-step=2.ckpt").write_bytes(b"weights")
    for encoding in (None, "utf-8"):
        listed = ocr("catalog", str(root), "--format", "json", encoding=encoding)
        listed.stdout.encode("utf-8")  # strict JSON text
        (entry,) = json.loads(listed.stdout)
        assert os.fsencode(entry["path"]) == os.fsencode(checkpoints / "epoch=1-step=2.ckpt")
        assert "exp\\xff1" in ocr("catalog", str(root), encoding=encoding).stdout  # a table
        csv = ocr("catalog", str(root), "--format", "csv", encoding=encoding).stdout
        assert "exp\\xff1" in csv
    before = _without_state(snapshot(project))  # .ocr is the catalog's, and stays
    markdown = ocr("migrate", "plan", str(root), "--format", "markdown", encoding="utf-8")
    assert "exp\\xff1" in markdown.stdout
    planned = json.loads(ocr("migrate", "plan", str(root), "--format", "json").stdout)
    assert os.fsencode(planned["runs"][0]["sources"][0]) == b"outputs/exp\xff1"
    assert ocr("migrate", "apply", str(root)).returncode == 0
    assert ocr("validate", str(root)).returncode == 0
    assert ocr("registry", "list", str(root), "--format", "json").returncode == 0
    assert ocr("migrate", "rollback", str(root)).returncode == 0
    assert _without_state(snapshot(project)) == before


def _without_state(picture: dict[str, tuple[str, str, int]]) -> dict[str, tuple[str, str, int]]:
    return {path: seen for path, seen in picture.items() if not path.startswith("outputs/.ocr/")}


# -- item 22: twice the same root, NaN thresholds, newlines in tables ----------------


def test_a_root_given_twice_is_listed_once(root: Path) -> None:
    done = ocr("catalog", str(root), str(root / ".." / "outputs"), "--format", "json")
    paths = [entry["path"] for entry in json.loads(done.stdout)]
    assert len(paths) == len(set(paths)) == 2


def test_a_nan_threshold_is_refused_with_one_line(root: Path) -> None:
    done = ocr("catalog", str(root), "--min", "val/hmean=nan")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "ocr catalog: error: argument --min: not METRIC=VALUE: 'val/hmean=nan' (e.g. val/hmean=0.9)"
    )


def test_a_name_with_a_newline_keeps_its_table_row_on_one_line(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    checkpoints = root / "two\nlines" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "epoch=1-step=2.ckpt").write_bytes(b"x")
    lines = ocr("catalog", str(root)).stdout.splitlines()
    assert len(lines) == 4  # header, rule, one row, the count
    assert "two\\nlines" in lines[2]
