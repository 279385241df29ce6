"""``ocr ablation``: formats, the plot, and one line with exit code 2 for every bad input."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import TYPE_CHECKING

import pytest

from ocr.cli import main
from ocr.layout import RunLayout
from tests.ablation_trees import (
    WIDTH_SWEEP,
    write_width_sweep,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

SWEEP = WIDTH_SWEEP


@pytest.fixture
def sweep_root(tmp_path: Path) -> Path:
    """Two widths, two seeds each, and one job that logged nothing."""
    root = tmp_path / "outputs"
    write_width_sweep(root)
    return root


def test_ablation_prints_the_table_when_piped(
    sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ablation", str(sweep_root)]) == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("val/hmean (max, best value per run): 4 of 5 runs in 2 group(s)")
    header = next(line for line in lines if line.lstrip().startswith("model.width"))
    assert header.split()[:3] == ["model.width", "n", "mean"]
    assert any(line.split()[:3] == ["16", "2", "0.9150"] for line in lines)
    assert "model.width: best 16, worst 4, apart by 0.2050" in out
    assert f"{SWEEP}/4: logged no val/hmean" in out


def test_ablation_prints_strict_json_when_asked(
    sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["ablation", str(sweep_root), "--format", "json", "--baseline", "model.width=16"]) == 0
    )

    data = json.loads(capsys.readouterr().out)
    assert data["factors"] == ["model.width"]
    assert [(g["factors"]["model.width"], g["n"], g["is_baseline"]) for g in data["groups"]] == [
        (4, 2, False),
        (16, 2, True),
    ]
    assert data["groups"][0]["versus_baseline"]["delta"] == pytest.approx(0.71 - 0.915)


def test_ablation_writes_csv_and_warns_about_excluded_runs_on_stderr_when_asked(
    sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ablation", str(sweep_root), "--format", "csv", "--value", "last"]) == 0

    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(row["model.width"], row["n"]) for row in rows] == [("4", "2"), ("16", "2")]
    assert [float(row["mean"]) for row in rows] == pytest.approx([0.71, 0.915])
    assert captured.err.splitlines()[:2] == [
        f"ocr: warning: {SWEEP}/4: logged no val/hmean",
        "ocr: note: baseline: the first group; choose another with --baseline KEY=VALUE",
    ]


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        pytest.param("markdown", "## Ablation of val/hmean", id="markdown"),
        pytest.param("latex", "% ocr ablation: val/hmean", id="latex"),
    ],
)
def test_ablation_renders_documents_when_asked(
    sweep_root: Path, capsys: pytest.CaptureFixture[str], fmt: str, start: str
) -> None:
    assert main(["ablation", str(sweep_root), "--format", fmt, "--sweep", "sweep0001"]) == 0

    assert capsys.readouterr().out.startswith(start)


def test_ablation_draws_the_plot_and_says_where_when_asked(
    sweep_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "plots" / "ablation.png"
    plot.parent.mkdir()

    assert main(["ablation", str(sweep_root), "--plot", str(plot), "--format", "json"]) == 0

    captured = capsys.readouterr()
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert captured.err == f"plot: {plot}\n"
    json.loads(captured.out)


def test_ablation_takes_factors_metric_and_mode_when_given(
    sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--by", "model.width, seed", "--metric", "val/loss", "--format", "json"]

    assert main(["ablation", str(sweep_root), *arguments]) == 0

    data = json.loads(capsys.readouterr().out)
    assert (data["factors"], data["metric"], data["mode"]) == (
        ["model.width", "seed"],
        "val/loss",
        "min",
    )
    assert len(data["groups"]) == 4


def _bad(tmp_path: Path, sweep_root: Path) -> dict[str, tuple[list[str], str]]:
    root = str(sweep_root)
    return {
        "no-root": (
            [str(tmp_path / "nowhere")],
            f"output root {str(tmp_path / 'nowhere')!r} is not a folder ({str(tmp_path / 'nowhere')!r}). "
            "Pass the folder that holds your runs (default: ./outputs)",
        ),
        "no-runs": (
            [root, "--name", "nobody"],
            f"no runs selected under {str(sweep_root)!r}. "
            "Check the ROOT and the selection options (ocr registry list shows the runs)",
        ),
        "unknown-key": (
            [root, "--by", "model.widht"],
            "--by 'model.widht': no selected run's config has this key (nearest: model.width). "
            "Name a dotted key of the runs' saved configs, e.g. model.encoder",
        ),
        "empty-by": (
            [root, "--by", " , "],
            "--by ' , ' names no key. Name config keys, e.g. --by model.encoder,seed",
        ),
        "metric": (
            [root, "--metric", "hmean"],
            "no selected run logged the metric 'hmean' (nearest: val/hmean). "
            "Choose a logged metric with --metric, e.g. val/hmean",
        ),
        "baseline-form": (
            [root, "--baseline", "model.width"],
            "--baseline 'model.width': 'model.width' is not KEY=VALUE. "
            "Name the baseline group, e.g. --baseline model.encoder=tiny_resnet",
        ),
        "baseline-value": (
            [root, "--baseline", "model.width=8"],
            "--baseline model.width=8: no group has this value (values: 4, 16). "
            "Give one of the values the table shows",
        ),
        "plot-suffix": (
            [root, "--plot", "ablation.jpg"],
            "--plot 'ablation.jpg' is not a .png file name. Give a file name ending in .png, e.g. --plot ablation.png",
        ),
        "plot-folder": (
            [root, "--plot", str(tmp_path / "no" / "a.png")],
            f"--plot {str(tmp_path / 'no' / 'a.png')!r}: the folder {str(tmp_path / 'no')!r} does not exist. "
            "Create the folder first, or write the plot elsewhere",
        ),
        "sweep": (
            [root, "--sweep", "zzz"],
            "no sweep folder or sweep ID 'zzz' (sweep IDs here: sweep0001). "
            "Give a sweep ID from `ocr registry list`, or the sweep's folder",
        ),
        "where": (
            [root, "--where", "metrics.val/hmean >"],
            "invalid catalog query 'metrics.val/hmean >' at column 20: expected a value, got the end "
            "of the expression. Write a number (3, -0.5, 1e-3), a quoted string ('resnet18'), true or false",
        ),
        "seed-key": (
            [root, "--seed-key", "data.sede"],
            "--seed-key 'data.sede': no selected run's config has this key (nearest: data.seed). "
            "Name a dotted key of the runs' saved configs, e.g. model.encoder",
        ),
        "legacy-folders": (
            [root, root, "--no-wandb"],
            "--multirun/--wandb and --no-multirun/--no-wandb choose the legacy folders of one ROOT, "
            "but 2 were given. Scan one ROOT with them, or leave them out",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=case)
        for case in (
            "no-root",
            "no-runs",
            "unknown-key",
            "empty-by",
            "metric",
            "baseline-form",
            "baseline-value",
            "plot-suffix",
            "plot-folder",
            "sweep",
            "where",
            "seed-key",
            "legacy-folders",
        )
    ],
)
def test_ablation_prints_one_line_and_exits_2_when_the_input_is_bad(
    case: str, tmp_path: Path, sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, message = _bad(tmp_path, sweep_root)[case]

    assert main(["ablation", *arguments]) == 2

    captured = capsys.readouterr()
    assert captured.err == f"ocr: error: {message}\n"
    assert captured.out == ""


def test_ablation_refuses_runs_that_disagree_on_a_type_when_a_factor_mixes_them(
    sweep_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = RunLayout(sweep_root / SWEEP / "0").config_file
    odd.write_text(odd.read_text().replace("width: 4", "width: '4'"))

    assert main(["ablation", str(sweep_root)]) == 2

    assert capsys.readouterr().err == (
        "ocr: error: the runs disagree on the type of 'model.width': a number ('4') in "
        f"'{SWEEP}/1'; a string ('4') in '{SWEEP}/0'. Make their configs agree, or leave the odd "
        "runs out (--where, --sweep)\n"
    )


def test_ablation_names_the_missing_extra_when_rich_is_not_installed(
    sweep_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # how Python itself blocks an import

    assert main(["ablation", str(sweep_root)]) == 2

    assert capsys.readouterr().err == (
        "ocr: error: ocr ablation needs rich, which is not installed. "
        "Install the ablation extra: pip install 'ocr[ablation]'\n"
    )
