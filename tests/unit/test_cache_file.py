"""The checksummed marshal cache file the indexes are written as."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

import pytest

from ocr._cache_file import load_cache, save_cache

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

LOG = logging.getLogger("ocr.tests.cache")
DATA = {"runs": {"a": ((1, 2), [0.5, None], "x")}, "flag": True}


def test_load_cache_gives_back_what_was_saved_when_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state" / "x.index"
    save_cache(path, DATA, schema_version=3, what="the x index", log=LOG)

    assert load_cache(path, schema_version=3, what="the x index", log=LOG) == DATA
    assert load_cache(tmp_path / "missing", schema_version=3, what="the x index", log=LOG) is None


def _rewrite_header(path: Path, **changes: object) -> None:
    header, _, payload = path.read_bytes().partition(b"\n")
    fields = {**json.loads(header), **changes}
    path.write_bytes(json.dumps(fields).encode() + b"\n" + payload)


def _unmarshallable(path: Path) -> None:
    """A header whose checksum matches a payload that is no marshal data."""
    payload = b"\xff not marshal"
    header = {**json.loads(path.read_bytes().partition(b"\n")[0])}
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    path.write_bytes(json.dumps(header).encode() + b"\n" + payload)


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        pytest.param(lambda p: p.write_bytes(b"not json\n123"), "bad header", id="header"),
        pytest.param(
            lambda p: _rewrite_header(p, schema_version=4), "schema version 4", id="version"
        ),
        pytest.param(
            lambda p: _rewrite_header(p, python="2.7.18"), "written by Python 2.7.18", id="python"
        ),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-3]), "checksum mismatch", id="torn"),
        pytest.param(
            lambda p: (p.unlink(), p.mkdir()), "is a folder, not a regular file", id="folder"
        ),
        pytest.param(_unmarshallable, "not marshal data", id="marshal"),
    ],
)
def test_load_cache_distrusts_and_reports_a_file_when_damaged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, why: str
) -> None:
    path = tmp_path / "x.index"
    save_cache(path, DATA, schema_version=3, what="the x index", log=LOG)
    damage(path)  # type: ignore[operator]

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert load_cache(path, schema_version=3, what="the x index", log=LOG) is None

    assert f"the x index {path} is unreadable (" in caplog.text
    assert why in caplog.text


def test_save_cache_logs_instead_of_raising_when_it_cannot_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        save_cache(blocker / "x.index", DATA, schema_version=1, what="the x index", log=LOG)

    assert f"could not write the x index {blocker / 'x.index'}: " in caplog.text


def test_load_cache_refuses_a_file_reached_through_a_link_out_of_the_root(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "root"
    save_cache(outside / "x.index", DATA, schema_version=3, what="the x index", log=LOG)
    (root / ".ocr").mkdir(parents=True)
    (root / ".ocr" / "x.index").symlink_to(outside / "x.index")

    loaded = load_cache(
        root / ".ocr" / "x.index",
        schema_version=3,
        what="the x index",
        log=LOG,
        inside=(str(root.resolve()),),
    )

    assert loaded is None


def test_save_cache_writes_nothing_through_a_linked_state_folder(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (root / ".ocr").symlink_to(outside)

    save_cache(root / ".ocr" / "x.index", DATA, schema_version=3, what="the x index", log=LOG)

    assert list(outside.iterdir()) == []
