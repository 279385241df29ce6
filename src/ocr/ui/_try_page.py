"""The Try and compare page: 1 to 4 checkpoints on the same receipts, side by side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import streamlit as st

from ocr._markdown import prose
from ocr.errors import CheckpointLoadError, ModelBuildError
from ocr.ui import _session
from ocr.ui._inspect_view import UNKNOWN, verdict_of
from ocr.ui._receipt_widgets import choose_receipts
from ocr.ui.detector import CheckpointKey
from ocr.ui.overlay import display_scale, draw_boxes, probability_picture
from ocr.ui.prediction import Detection, ProbabilityMap, detect, network_size, overall_score
from ocr.ui.table import monitored_score, origin
from ocr.ui.thresholds import LIMITS, BoxSettings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from streamlit.delta_generator import DeltaGenerator

    from ocr.catalog import CatalogEntry, RunConfigLookup
    from ocr.ui.compatibility import Buildability
    from ocr.ui.prediction import InputMode
    from ocr.ui.receipt import Receipt

__all__ = ["render"]

_INPUT_MODES: Final = {"trained": "as trained", "original": "receipt's own size"}


@dataclass(frozen=True)
class _Candidate:
    entry: CatalogEntry
    config: Mapping[str, Any] | None
    verdict: Buildability
    key: CheckpointKey | None
    problem: str | None

    @property
    def label(self) -> str:
        return f"{self.entry.name or '?'} · {Path(self.entry.path).name}"


def render() -> None:
    """Draw the page."""
    from ocr.ui._navigation import pages  # noqa: PLC0415 (the pages import this module)

    st.title("Try and compare")
    entries = _session.selected()
    if not entries:
        st.info("Tick 1 to 4 checkpoints on the Checkpoints page first.")
        st.page_link(pages().checkpoints, label="Pick checkpoints", icon=":material/arrow_back:")
        return
    scope = _session.scope()
    configs = scope.catalog().config_lookup()
    tops = scope.tops()
    candidates = [_candidate(entry, configs, tops) for entry in entries]
    with st.sidebar:  # what to run on; the results and their sliders fill the page
        receipts = choose_receipts(
            next((c.config for c in candidates if c.verdict.buildable), None)
        )
        mode = _input_mode()
    if not receipts:
        st.info(
            "Choose validation pages or upload a receipt (in the sidebar) to run the checkpoints on it."
        )
        return
    _results(candidates, receipts, "original" if mode == "original" else "trained")


def _input_mode() -> str | None:
    return st.segmented_control(
        "Network input",
        list(_INPUT_MODES),
        default="trained",
        format_func=_INPUT_MODES.__getitem__,
        key="t_input",
        help="As trained: resized to the run's training size (data.height x data.width). "
        "The receipt's own size: as it is, its longer side at most 2048 pixels.",
        persist_state="session",
    )


def _candidate(entry: CatalogEntry, configs: RunConfigLookup, tops: Sequence[Path]) -> _Candidate:
    config, verdict = configs(entry), verdict_of(entry, configs)
    try:
        key = CheckpointKey.of(Path(entry.path), within=tops)
    except CheckpointLoadError as err:  # deleted since it was listed, or now a link out
        return _Candidate(entry, config, verdict, None, str(err))
    return _Candidate(entry, config, verdict, key, None)


@st.fragment
def _results(candidates: list[_Candidate], receipts: list[Receipt], mode: InputMode) -> None:
    # A fragment: moving a slider reruns this part only, on the cached maps.
    settings = _sliders(next((c for c in candidates if c.verdict.buildable), candidates[0]))
    show_truth = any(r.truth for r in receipts) and st.toggle(
        "Show ground truth (green)", value=True
    )
    found = {
        (i, j): _predict(candidate, receipt, settings, mode)
        for i, candidate in enumerate(candidates)
        for j, receipt in enumerate(receipts)
    }
    _summary(candidates, receipts, found)
    for j, receipt in enumerate(receipts):
        st.subheader(f"{receipt.name} · {receipt.size[1]}x{receipt.size[0]}")
        # One checkpoint: its map beside its boxes; several: one column each.
        columns = st.columns(max(2, len(candidates)))
        beside = columns[1] if len(candidates) == 1 else None
        for i, candidate in enumerate(candidates):
            with columns[i]:
                _show(candidate, receipt, found[i, j], show_truth=show_truth, beside=beside)


_Outcome = tuple[ProbabilityMap, bool, Detection] | str


def _predict(
    candidate: _Candidate, receipt: Receipt, settings: BoxSettings, mode: InputMode
) -> _Outcome:
    if candidate.problem is not None:
        return candidate.problem
    if not candidate.verdict.buildable or candidate.key is None:
        return f"Not run here: {candidate.verdict.message}."
    try:
        with st.spinner(f"Loading {candidate.label}…"):
            detector = _session.model_cache().get(candidate.key, candidate.verdict)
        size = network_size(candidate.config, receipt.size, mode)
        with st.spinner(f"Running {candidate.label} on {receipt.name}…"):
            prob, cached = _session.probability_cache().get(detector, receipt, size)
    except (CheckpointLoadError, ModelBuildError) as err:
        return str(err)
    return prob, cached, detect(prob, receipt, settings)


def _show(
    candidate: _Candidate,
    receipt: Receipt,
    outcome: _Outcome,
    *,
    show_truth: bool,
    beside: DeltaGenerator | None,
) -> None:
    st.markdown(f"**{candidate.label}**")
    if isinstance(outcome, str):
        st.warning(prose(outcome))
        return
    prob, cached, detection = outcome
    scale = display_scale(receipt.size)
    truth = receipt.truth if show_truth and receipt.truth else ()
    picture = draw_boxes(receipt.pixels, detection.boxes, truth=truth, scale=scale)
    # JPEG: a slider move redraws every picture, and PNG took ten times as long to encode.
    st.image(
        picture, caption=_caption(prob, cached, detection), width="stretch", output_format="JPEG"
    )
    with st.expander("Probability map") if beside is None else beside:
        height, width = prob.values.shape
        if beside is not None:
            st.markdown("**Probability map**")
        st.image(
            probability_picture(prob.values, scale=min(1.0, picture.size[0] / width)),
            caption=f"{width}x{height}, as the network saw it",
            width="stretch",
            output_format="JPEG",
        )


def _caption(prob: ProbabilityMap, cached: bool, detection: Detection) -> str:
    parts = [f"{len(detection.boxes)} boxes"]
    score = detection.score
    if score is not None:
        parts.append(
            f"P {score['precision']:.3f} · R {score['recall']:.3f} · H {score['hmean']:.3f}"
        )
    network = "cached" if cached else f"{prob.seconds * 1000:.0f} ms"
    parts.append(f"network {network} · boxes {detection.seconds * 1000:.0f} ms")
    return " · ".join(parts)


def _summary(
    candidates: list[_Candidate], receipts: list[Receipt], found: Mapping[tuple[int, int], _Outcome]
) -> None:
    table: dict[str, list[str]] = {
        key: []
        for key in (
            "checkpoint",
            "origin",
            "monitor",
            "catalog score",
            "boxes",
            "precision",
            "recall",
            "hmean",
            "status",
        )
    }
    for i, candidate in enumerate(candidates):
        outcomes = [found[i, j] for j in range(len(receipts))]
        detections = [o[2] for o in outcomes if not isinstance(o, str)]
        problems = [o for o in outcomes if isinstance(o, str)]
        score = overall_score(detections)
        values = (
            candidate.label,
            origin(candidate.entry),
            candidate.entry.monitor,
            monitored_score(candidate.entry),
            sum(len(d.boxes) for d in detections) if detections else None,
            *((score[k] for k in ("precision", "recall", "hmean")) if score else (None,) * 3),
            "ran" if not problems else "not run (see below)" if not detections else "partly run",
        )
        for column, value in zip(table.values(), values, strict=True):
            column.append(_cell(value))
    st.table(table)


def _cell(value: object) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:.4f}" if isinstance(value, float) else prose(str(value))


def _sliders(primary: _Candidate) -> BoxSettings:
    defaults, sources = BoxSettings.from_config(primary.config)
    salt = hashlib.blake2b(primary.entry.path.encode(), digest_size=6).hexdigest()
    st.markdown("**Post-processing** (defaults from the first checkpoint's config)")
    if st.button("Reset to the checkpoint's defaults", key=f"t_reset_{salt}"):
        for name in BoxSettings.names():
            st.session_state.pop(f"t_{name}_{salt}", None)
    columns = st.columns(4)
    labels = {
        "threshold": ("Binarisation", 0.01),
        "box_score": ("Box score", 0.01),
        "min_area": ("Minimum size (px)", 1),
        "max_candidates": ("Maximum boxes", 1),
    }
    values: dict[str, Any] = {}
    for column, name in zip(columns, BoxSettings.names(), strict=True):
        label, step = labels[name]
        low, high = LIMITS[name]
        kind = type(getattr(defaults, name))
        values[name] = column.slider(
            label,
            kind(low),
            kind(high),
            getattr(defaults, name),
            step=kind(step),
            key=f"t_{name}_{salt}",
            help=f"default from `{sources[name]}`" if name in sources else "the trainer's default",
        )
    return BoxSettings(**values)
