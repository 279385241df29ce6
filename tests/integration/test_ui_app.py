"""The app's flows, driven by Streamlit's AppTest on real trees (new runs and the legacy sample).

AppTest runs the app's script in this process, as the server would, without a
browser (``nox -s ui`` drives a real one). A dataframe's row selection is set
through ``session_state``, as the Streamlit docs advise.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import ocr.ui.app
from ocr.catalog import CheckpointCatalog
from ocr.layout import RunLayout
from ocr.ui import _session
from ocr.ui.scope import SCOPE_ENV_VAR, AppScope
from ocr.ui.selection import PAGE_SIZE
from ocr.ui.thresholds import BoxSettings
from tests.sidecar_checkpoints import save_checkpoint
from tests.ui_runs import make_reference_run

SAMPLE = Path(__file__).parents[2] / "fixtures" / "legacy_sample"
TRY_PAGE = "views/try_it.py"
TINY_TRAINING = ("data.train_size=16", "data.val_size=8", "data.batch_size=8", "model.width=4")
LEGACY_CODE_MISSING = (
    "Not run here: its model code is not installed here: model.encoder._target_ "
    "'ocr.models.encoder.timm_backbone.TimmBackbone' (no module named 'ocr.models'). Install "
    "the package that provides 'ocr.models.encoder.timm_backbone' (the trainer that made the "
    "checkpoint) in this environment and restart `ocr ui`; inference needs its model code."
)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two roots: new runs in ``outputs``, the legacy sample (with its multirun/ and wandb/)."""
    new = tmp_path / "new" / "outputs"
    new.mkdir(parents=True)
    first, last = make_reference_run(new)
    (second,) = make_reference_run(
        new,
        names=("epoch=00-step=000002-val_hmean=0.7000.ckpt",),
        scores=(0.7,),
        model={"encoder": "tiny_cnn"},
        when=datetime(2025, 10, 19, 9, 0, 0),
    )
    legacy = tmp_path / "legacy"
    shutil.copytree(SAMPLE, legacy, ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.setenv(SCOPE_ENV_VAR, AppScope((new, legacy / "outputs")).to_json())
    # Nothing may be written anywhere but the roots' .ocr caches: a private temp folder shows it.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    return {
        "new": new,
        "legacy": legacy / "outputs",
        "first": first,
        "last": last,
        "second": second,
        "tmp": private_tmp,
    }


def _app() -> AppTest:
    return AppTest.from_file(ocr.ui.app.__file__, default_timeout=120).run()


def _table(at: AppTest) -> Any:
    return at.dataframe[0].value


def _select(at: AppTest, *checkpoints: str | Path) -> AppTest:
    """Tick rows: a Path names one checkpoint of a new run, a file name a unique legacy one."""
    table = _table(at)
    rows = []
    for wanted in checkpoints:
        if isinstance(wanted, Path):
            match = (table["file"] == wanted.name) & (table["run"] == str(wanted.parents[1]))
        else:
            match = table["file"] == wanted
        (row,) = table.index[match]
        rows.append(int(row))
    at.session_state[_table_key(at)] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def _catalog_size(tree: dict[str, Path]) -> int:
    """How many checkpoints the catalog itself finds under the two roots."""
    return len(CheckpointCatalog([tree["new"], tree["legacy"]]).scan())


def _table_key(at: AppTest) -> str:
    key = at.dataframe[0].key
    assert key is not None
    return key


def _texts(elements: Any) -> list[str]:
    """The elements' text as the user reads it (the Markdown escapes taken out)."""
    return [re.sub(r"\\(.)", r"\1", str(element.value)) for element in elements]


def test_picker_lists_every_checkpoint_without_loading_one_when_opened(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the checkpoint list loaded a checkpoint")

    monkeypatch.setattr(torch, "load", refuse)

    at = _app()

    assert not at.exception and not at.error
    table = _table(at)
    expected = CheckpointCatalog([tree["new"], tree["legacy"]]).scan()
    assert len(table) == len(expected) > 30  # the new runs and every legacy checkpoint
    assert set(table["origin"]) == {"new", "legacy"}
    assert list(table["score"][:3]) == [0.9008, 0.8957, 0.892]  # best first by the monitored metric
    assert set(table["monitor"].dropna()) == {"val/hmean"}
    assert _texts(at.caption)[0].startswith(f"{len(expected)} checkpoint(s) under ")


def test_picker_filters_when_search_part_and_where_are_set(tree: dict[str, Path]) -> None:
    at = _app()

    at.text_input(key="f_search").input("tiny").run()
    assert set(_table(at)["encoder"]) == {"tiny_resnet", "tiny_cnn"}
    at.selectbox(key="f_encoder").select("tiny_cnn").run()
    assert list(_table(at)["file"]) == [tree["second"].name]
    at.selectbox(key="f_encoder").select("any").run()
    at.text_input(key="f_where").input(
        "metrics.val/hmean >= 0.5 and model.encoder = 'tiny_resnet'"
    ).run()

    assert list(_table(at)["file"]) == [tree["first"].name]
    assert not at.error


def test_where_error_is_shown_in_one_line_when_the_expression_is_malformed(
    tree: dict[str, Path],
) -> None:
    at = _app()

    at.text_input(key="f_where").input("metrics.val/hmean > 'high'").run()

    assert not at.exception
    assert _texts(at.sidebar.error) == [
        "invalid catalog query \"metrics.val/hmean > 'high'\" at column 21: metrics.val/hmean "
        "holds numbers, got the string 'high'. Compare it with a number such as 3, -0.5 or 1e-3 "
        "(the table ignores it until it parses)"
    ]
    assert len(_table(at)) == _catalog_size(tree)


def test_best_toggles_keep_one_checkpoint_per_run_and_per_group_when_on(
    tree: dict[str, Path],
) -> None:
    at = _app()

    at.toggle(key="f_best_run").set_value(True).run()
    per_run = _table(at)
    at.toggle(key="f_best_run").set_value(False).run()
    at.toggle(key="f_best_group").set_value(True).run()
    per_group = _table(at)

    assert per_run["run"].is_unique
    assert tree["first"].name in set(per_run["file"]) and tree["last"].name not in set(
        per_run["file"]
    )
    assert not per_group[["encoder", "decoder"]].duplicated().any()


def test_one_ticked_row_shows_its_config_record_and_verdict_when_new(tree: dict[str, Path]) -> None:
    at = _select(_app(), tree["first"])

    assert _texts(at.subheader) == ["dbnet-tiny_resnet-unet"]
    assert _texts(at.success) == [
        "Can run here: built by ocr.train.module.DetectorModule from its run's config."
    ]
    (code,) = at.code
    assert "  width: 4  # <- override: model.width=4\n" in code.value
    experiment = at.table[0].value
    facts = dict(zip(experiment.iloc[:, 0], experiment["value"], strict=True))
    assert facts["registry status"] == "completed"
    assert facts["origin"] == "new" and facts["sidecar"] == "valid"
    assert at.query_params["checkpoint"] == f"2025-10-18/14-03-22/checkpoints/{tree['first'].name}"


def test_one_ticked_legacy_row_says_why_it_cannot_run_when_its_code_is_missing(
    tree: dict[str, Path],
) -> None:
    at = _select(_app(), "epoch-8-step-1845.ckpt")

    assert _texts(at.warning) == [
        "Cannot run here: " + LEGACY_CODE_MISSING.removeprefix("Not run here: ")
    ]
    sources = at.table[-1].value
    assert dict(zip(sources["field"], sources["source"], strict=True))["encoder"] in {
        "hydra_config",
        "folder_name",
    }


def test_ticked_rows_are_compared_by_metadata_when_two_to_four(tree: dict[str, Path]) -> None:
    at = _select(_app(), tree["first"], tree["second"], "best.ckpt")

    assert _texts(at.subheader) == ["3 checkpoints side by side"]
    compared = at.table[0].value
    assert list(compared["score"]) == ["0.8920", "0.7000", "0.5000"]  # in table order
    assert list(compared["can run here"])[1:] == ["yes", "yes"]
    assert compared["can run here"][0].startswith("no: its model code is not installed here: ")

    at.session_state[_table_key(at)] = {
        "selection": {"rows": list(range(6)), "columns": [], "cells": []}
    }
    everything = at.run()
    assert _texts(everything.warning)[0] == (
        "6 checkpoints are ticked; the first 4 are used. Untick some to choose others"
    )


def _try(at: AppTest) -> AppTest:
    return at.switch_page(TRY_PAGE).run()


def test_try_page_asks_for_a_pick_when_nothing_is_ticked(tree: dict[str, Path]) -> None:
    at = _try(_app())

    assert _texts(at.info) == ["Tick 1 to 4 checkpoints on the Checkpoints page first."]


def test_sliders_rerun_only_the_post_processing_when_moved(tree: dict[str, Path]) -> None:
    builds = _session.model_cache().builds
    at = _try(_select(_app(), tree["first"]))
    maps = at.session_state["ocr_probability_maps"]
    assert (maps.runs, _session.model_cache().builds - builds) == (1, 1)
    assert [slider.value for slider in at.slider] == [0.3, 0.0, 3, 1000]
    assert len(at.image) == 2  # the receipt with its boxes, and the probability map

    at.slider[0].set_value(0.01).run()

    assert (maps.runs, _session.model_cache().builds - builds) == (1, 1)
    ((_, prob),) = maps._maps.items()
    expected = len(BoxSettings(threshold=0.01).boxes(prob.values))
    assert at.table[0].value["boxes"][0] == str(expected)
    assert "network cached" in at.image[0].proto.imgs[0].caption


def test_legacy_checkpoint_is_compared_by_metadata_when_its_code_is_missing(
    tree: dict[str, Path],
) -> None:
    at = _try(_select(_app(), tree["first"], "epoch-8-step-1845.ckpt"))

    summary = at.table[0].value
    assert list(summary["status"]) == ["ran", "not run (see below)"]
    assert list(summary["origin"]) == ["new", "legacy"]
    assert _texts(at.warning) == [LEGACY_CODE_MISSING]


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploads_are_tried_at_their_own_size_and_a_bad_one_is_reported_when_mixed(
    tree: dict[str, Path],
) -> None:
    at = _try(_select(_app(), tree["first"]))
    at.segmented_control(key="t_source").set_value("Upload").run()
    runs = at.session_state["ocr_probability_maps"].runs
    rgba = Image.new("RGBA", (300, 450), (0, 0, 0, 0))
    grey = Image.fromarray(np.random.default_rng(0).integers(0, 256, (3000, 2000), dtype=np.uint8))

    at.file_uploader(key="t_uploads").set_value(
        [
            ("notes.png", b"this is not an image", "image/png"),
            ("alpha.png", _png(rgba), "image/png"),
            ("big grey.png", _png(grey), "image/png"),
        ]
    ).run()

    assert not at.exception
    assert _texts(at.error) == [
        "upload 'notes.png' is not a readable PNG or JPEG image (cannot identify image file "
        "<_io.BytesIO object at 0x" + _texts(at.error)[0].split("0x", 1)[1]
    ]
    assert _texts(at.subheader) == ["alpha.png · 300x450", "big grey.png · 2000x3000"]
    assert list(at.table[0].value["status"]) == ["ran"]
    assert at.session_state["ocr_probability_maps"].runs == runs + 2


def test_a_deleted_or_corrupt_checkpoint_is_reported_and_the_other_runs_when_tried(
    tree: dict[str, Path],
) -> None:
    at = _select(_app(), tree["first"], tree["last"], tree["second"])
    tree["first"].unlink()
    tree["last"].write_bytes(tree["last"].read_bytes()[:5000])

    at = _try(at)

    # In table order: the 0.7 run, then the first (deleted) and the last (cut short).
    assert list(at.table[0].value["status"]) == [
        "ran",
        "not run (see below)",
        "not run (see below)",
    ]
    first, last = _texts(at.warning)
    assert (
        first == f"checkpoint {str(tree['first'])!r} no longer exists. Refresh the checkpoint list"
    )
    assert last.startswith(
        f"checkpoint {str(tree['last'])!r} cannot be loaded: unreadable: not loaded ("
    )


def test_a_new_checkpoint_appears_when_the_list_is_refreshed(tree: dict[str, Path]) -> None:
    at = _app()
    before = _catalog_size(tree)
    make_reference_run(
        tree["new"], names=("fresh.ckpt",), scores=(0.99,), when=datetime(2025, 11, 1)
    )

    at.button[0].click().run()

    assert _table(at)["file"][0] == "fresh.ckpt"
    assert len(_table(at)) == before + 1


def test_a_missing_root_is_reported_and_the_others_listed_when_it_vanishes(
    tree: dict[str, Path],
) -> None:
    at = _app()
    shutil.rmtree(tree["legacy"])

    at.run()

    assert _texts(at.error) == [
        f"output root {str(tree['legacy'])!r} is not a folder (any more). Start `ocr ui` on an existing root"
    ]
    assert len(_table(at)) == 3
    assert not tree["legacy"].exists()


def test_a_link_selects_listed_checkpoints_and_ignores_paths_outside_the_roots(
    tree: dict[str, Path],
) -> None:
    at = AppTest.from_file(ocr.ui.app.__file__, default_timeout=120)
    listed = f"2025-10-18/14-03-22/checkpoints/{tree['first'].name}"
    at.query_params["checkpoint"] = [listed, "../../../etc/passwd", "/etc/passwd"]

    at.run()

    assert _texts(at.subheader) == ["dbnet-tiny_resnet-unet"]
    assert _texts(at.warning) == [
        "'../../../etc/passwd' is not a checkpoint under the app's roots; it is ignored",
        "'/etc/passwd' is not a checkpoint under the app's roots; it is ignored",
    ]


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and ".ocr" not in path.relative_to(folder).parts
    }


def test_the_app_writes_nothing_but_caches_when_every_page_is_used(tree: dict[str, Path]) -> None:
    base = tree["new"].parents[1]
    before = _files(base)

    at = _select(_app(), tree["first"], "best.ckpt")
    at = _try(at)
    at.segmented_control(key="t_source").set_value("Upload").run()
    at.file_uploader(key="t_uploads").set_value(
        ("r.png", _png(Image.new("RGB", (64, 96), "white")), "image/png")
    ).run()
    at.slider[0].set_value(0.5).run()

    assert not at.exception
    assert _files(base) == before
    assert list(tree["tmp"].iterdir()) == []
    written = {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()} - set(before)
    assert written and all("/.ocr/" in f"/{name}" for name in written)


@pytest.mark.timeout(300)
def test_a_run_trained_by_ocr_train_is_tried_when_picked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ocr.train", "trainer.max_epochs=1", *TINY_TRAINING],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    monkeypatch.setenv(SCOPE_ENV_VAR, AppScope((tmp_path / "outputs",)).to_json())
    at = _app()
    at.session_state[_table_key(at)] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()

    assert _texts(at.success) == [
        "Can run here: built by ocr.train.module.DetectorModule from its run's config."
    ]
    at = _try(at)
    assert not at.exception
    assert list(at.table[0].value["status"]) == ["ran"]
    assert _texts(at.sidebar.caption)[0] == (
        "From this run's synthetic validation receipts (8 pages of 128x96, seed 0); their true "
        "boxes are drawn in green and scored."
    )


def test_rows_are_sorted_over_every_page_and_ticks_kept_across_pages_when_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "outputs"
    run = RunLayout(root / "2025-10-18" / "14-03-22").run_dir
    for number in range(PAGE_SIZE + 50):
        save_checkpoint(run, f"epoch={number:03d}.ckpt", epoch=number, step=number)
    monkeypatch.setenv(SCOPE_ENV_VAR, AppScope((root,)).to_json())
    at = _app()
    at.selectbox(key="f_sort").select("epoch").run()
    at.toggle(key="f_descending").set_value(False).run()
    at = _select(at, "epoch=000.ckpt")

    at.number_input(key="f_page_2").set_value(2).run()

    assert list(_table(at)["epoch"][:2]) == [PAGE_SIZE, PAGE_SIZE + 1]
    assert f"rows {PAGE_SIZE + 1}-{PAGE_SIZE + 50} of {PAGE_SIZE + 50}" in _texts(at.caption)
    at = _select(at, f"epoch={PAGE_SIZE + 1:03d}.ckpt")
    assert _texts(at.subheader) == ["2 checkpoints side by side"]
    assert at.query_params["checkpoint"] == [  # a link to share this selection
        "2025-10-18/14-03-22/checkpoints/epoch=000.ckpt",
        f"2025-10-18/14-03-22/checkpoints/epoch={PAGE_SIZE + 1}.ckpt",
    ]

    at.button(key="f_clear").click().run()

    assert _texts(at.info) == [
        "Tick a row to inspect a checkpoint, or 2 to 4 rows to compare them."
    ]
    assert "checkpoint" not in at.query_params


def test_the_app_says_in_one_line_when_started_with_a_scope_it_cannot_read(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCOPE_ENV_VAR, "not json")

    at = _app()

    assert not at.exception
    (error,) = _texts(at.error)
    assert error.startswith(
        f"the app's scope {SCOPE_ENV_VAR}='not json' is not what `ocr ui` writes ("
    )
    assert error.endswith("). Start the app with `ocr ui [ROOT...]`")
