"""The renderers against golden files, and the plot."""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from ocr.ablation import (
    JSON_SCHEMA_VERSION,
    Ablation,
    AblationRun,
    MetricHistory,
    MetricPoint,
    ablation_figure,
    ablation_json,
    analyse,
    flatten_config,
    plot_ablation,
    render_csv,
    render_json,
    render_latex,
    render_markdown,
    render_table,
)
from ocr.registry import Status
from tests.ablation_trees import trainer_config

if TYPE_CHECKING:
    from collections.abc import Callable

__all__: list[str] = []

GOLDEN: Final = Path(__file__).parents[2] / "fixtures" / "golden" / "ablation"
REGENERATE: Final = "OCR_REGENERATE_GOLDEN=1 pytest tests/unit/test_ablation_render.py"
ROOT: Final = Path("/data/outputs")
SWEEP: Final = "2025-10-18/14-05-00"
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
NUMBER: Final = re.compile(r"(-?\d+\.\d+(?:e-?\d+)?)")


def _run(
    job: int,
    encoder: str,
    width: int,
    seed: int,
    values: list[float],
    *,
    status: Status | None = Status.COMPLETED,
    era: str | None = None,
    name: str | None = None,
) -> AblationRun:
    config = trainer_config(model__encoder=encoder, model__width=width, seed=seed)
    points = tuple(MetricPoint(v, epoch, 16 * epoch + 15) for epoch, v in enumerate(values))
    name = name or f"{SWEEP}/{job}"
    return AblationRun(
        name=name,
        run_dir=ROOT / name,
        root=ROOT,
        era=era,
        experiment_id=None if era else f"1m9{job:013d}",
        sweep_id=None if era else "1m97640en7ee2j8p",
        status=status,
        error="RuntimeError: boom" if status is Status.FAILED else None,
        created_at=datetime(2025, 10, 18, 14, 5, job, tzinfo=UTC),
        config=flatten_config(config),
        overrides=(f"model.encoder={encoder}", f"model.width={width}", f"seed={seed}"),
        history=MetricHistory({"val/hmean": points}),
    )


def golden_ablation() -> Ablation:
    """A 2x2 sweep with two seeds, a failed run and a diverged legacy run."""
    runs = [
        _run(0, "tiny_cnn", 4, 0, [0.40, 0.61]),
        _run(1, "tiny_cnn", 4, 1, [0.45, 0.65, 0.64]),
        _run(2, "tiny_cnn", 16, 0, [0.50, 0.80]),
        _run(3, "tiny_cnn", 16, 1, [0.55, 0.78]),
        _run(4, "tiny_resnet", 4, 0, [0.50, 0.70]),
        _run(5, "tiny_resnet", 4, 1, [0.52, 0.66]),
        _run(6, "tiny_resnet", 16, 0, [0.60, 0.91]),
        _run(7, "tiny_resnet", 16, 1, [0.62, 0.93]),
        _run(8, "tiny_resnet", 16, 2, [0.2], status=Status.FAILED),
        _run(9, "tiny_cnn", 4, 0, [float("nan")], status=None, era="name_based", name="old|run_1"),
    ]
    return analyse(runs)


RENDERERS: Final[dict[str, Callable[[Ablation], str]]] = {
    "table.txt": lambda ablation: render_table(ablation, width=140),
    "table.md": render_markdown,
    "table.csv": render_csv,
    "table.json": render_json,
    "table.tex": render_latex,
}


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in RENDERERS])
def test_renderer_matches_its_golden_file_when_rendering_the_golden_sweep(name: str) -> None:
    text = RENDERERS[name](golden_ablation())
    golden = GOLDEN / name
    if os.environ.get("OCR_REGENERATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            str(golden),
            "rendered",
        )
    )
    assert _same(text, expected, exact=golden.suffix not in (".json", ".csv")), (
        f"{name} differs from its golden file; regenerate with `{REGENERATE}`\n{diff}"
    )


def _same(text: str, expected: str, *, exact: bool) -> bool:
    """Equal text; for JSON and CSV, equal but for the last digits of full-precision numbers
    (a p-value's 16th digit may move with scipy's version)."""
    if exact or text == expected:
        return text == expected
    parts = [NUMBER.split(t) for t in (text, expected)]
    if len(parts[0]) != len(parts[1]):
        return False
    return all(
        a == b if i % 2 == 0 else math.isclose(float(a), float(b), rel_tol=1e-9)
        for i, (a, b) in enumerate(zip(*parts, strict=True))
    )


def test_render_json_is_the_documented_shape_when_parsed() -> None:
    data = json.loads(render_json(golden_ablation()))

    assert list(data) == [
        "schema_version",
        "metric",
        "mode",
        "value",
        "factors",
        "seed_key",
        "baseline",
        "noise",
        "groups",
        "effects",
        "runs",
        "excluded",
        "notes",
    ]
    assert data["schema_version"] == JSON_SCHEMA_VERSION == 1
    group = data["groups"][3]
    assert group["factors"] == {"model.encoder": "tiny_resnet", "model.width": 16}
    assert (group["n"], group["mean"]) == (2, pytest.approx(0.92))
    assert group["versus_baseline"]["delta"] == pytest.approx(0.92 - 0.63)
    legacy = data["runs"][9]
    assert (legacy["legacy"], legacy["value"], legacy["included"]) == ("name_based", None, False)
    assert legacy["last"] == {"value": "NaN", "epoch": 0, "step": 15}
    assert data["excluded"][0] == {"run": f"{SWEEP}/8", "reason": "failed: RuntimeError: boom"}


def test_ablation_json_keeps_config_values_typed_when_they_are_lists_or_infinite() -> None:
    run = _run(0, "tiny_cnn", 4, 0, [0.5])
    config = {**run.config, "model.width": (4, float("inf"))}
    typed = AblationRun(name="a", run_dir=ROOT, root=ROOT, config=config, history=run.history)

    data = ablation_json(analyse([typed], by=["model.width"]))

    assert data["groups"][0]["factors"] == {"model.width": [4, "Infinity"]}


def test_render_table_says_so_when_no_run_has_a_value() -> None:
    ablation = analyse([_run(0, "tiny_cnn", 4, 0, [0.5], status=Status.FAILED)])

    text = render_table(ablation)

    assert "No run has a value to aggregate." in text
    assert "noise: unknown (no group has two runs; repeat runs with other seeds)" in text
    assert render_markdown(ablation).count("No run has a value to aggregate.") == 1


def test_plot_ablation_writes_a_png_with_a_panel_per_factor_and_the_curves_when_drawn(
    tmp_path: Path,
) -> None:
    ablation = golden_ablation()

    written = plot_ablation(ablation, tmp_path / "ablation.png")

    assert written == tmp_path / "ablation.png"
    assert written.read_bytes().startswith(PNG_MAGIC)
    assert [p.name for p in tmp_path.iterdir()] == ["ablation.png"]  # no temporary left behind
    figure = ablation_figure(ablation)
    factor_axes = figure.axes[:2]
    assert [axes.get_xlabel() for axes in figure.axes] == ["model.encoder", "model.width", "epoch"]
    assert [t.get_text() for t in factor_axes[0].get_xticklabels()] == ["tiny_cnn", "tiny_resnet"]
    assert len(figure.axes[2].get_lines()) == 4  # one curve per group


def test_ablation_figure_uses_a_log_axis_when_the_levels_span_decades() -> None:
    runs = [
        AblationRun(
            name=str(lr),
            run_dir=ROOT / str(lr),
            root=ROOT,
            config={"model.lr": lr},
            history=MetricHistory({"val/hmean": (MetricPoint(0.5, None, 7),)}),
        )
        for lr in (1e-4, 1e-3, 1e-2)
    ]

    figure = ablation_figure(analyse(runs, by=["model.lr"]))

    assert figure.axes[0].get_xscale() == "log"
    assert figure.axes[1].get_xlabel() == "step"
