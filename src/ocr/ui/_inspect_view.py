"""What the picker shows under the table: one checkpoint in full, or several side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import streamlit as st

from ocr._markdown import prose
from ocr.ui.compatibility import Buildability, check_buildable
from ocr.ui.details import CheckpointDetails, describe_checkpoint
from ocr.ui.table import companion_metric, monitored_score, origin

if TYPE_CHECKING:
    from ocr.catalog import CatalogEntry, RunConfigLookup

__all__ = ["UNKNOWN", "show_comparison", "show_details", "verdict_of"]

UNKNOWN: Final = "—"  # not "-": st.table renders cells as Markdown, and "-" is a list item


def verdict_of(entry: CatalogEntry, configs: RunConfigLookup) -> Buildability:
    """Whether the entry's model can be built here, from its run's config alone."""
    config_file = configs.config_file(entry)
    return check_buildable(
        configs(entry), config_file=None if config_file is None else str(config_file)
    )


def show_details(entry: CatalogEntry, configs: RunConfigLookup) -> None:
    """Everything known about one checkpoint, without loading it.

    Args:
        entry: The checkpoint.
        configs: The catalog's config lookup.
    """
    details = describe_checkpoint(entry, configs)
    verdict = verdict_of(entry, configs)
    st.subheader(entry.name or Path(entry.path).name)
    st.caption(f"`{entry.path}`")
    _show_verdict(verdict)
    overview, config, metrics, sources = st.tabs(
        ["Experiment", "Config", "Metrics", "Sources and problems"]
    )
    with overview:
        st.table(_experiment_rows(details))
    with config:
        _show_config(details)
    with metrics:
        _show_metrics(entry)
    with sources:
        _show_sources(details)
    _link_to_try("Try it on a receipt")


def show_comparison(entries: list[CatalogEntry], configs: RunConfigLookup) -> None:
    """Several checkpoints side by side, by their metadata.

    Args:
        entries: The checkpoints (2 to 4).
        configs: The catalog's config lookup.
    """
    st.subheader(f"{len(entries)} checkpoints side by side")
    rows: dict[str, list[object]] = {"": [entry.name or Path(entry.path).name for entry in entries]}
    for label, value in (
        ("file", lambda e: Path(e.path).name),
        ("created", lambda e: e.created_at.strftime("%Y-%m-%d %H:%M") if e.created_at else None),
        (
            "model",
            lambda e: " / ".join(p or "?" for p in (e.architecture, e.encoder, e.decoder, e.head)),
        ),
        ("epoch / step", lambda e: f"{_dash(e.epoch)} / {_dash(e.step)}"),
        ("monitor", lambda e: e.monitor),
        ("score", monitored_score),
        ("precision", lambda e: companion_metric(e, "precision")),
        ("recall", lambda e: companion_metric(e, "recall")),
        ("config hash", lambda e: (e.config_hash or "")[:12] or None),
        ("origin", origin),
        ("can run here", lambda e: _verdict_cell(verdict_of(e, configs))),
    ):
        rows[label] = [value(entry) for entry in entries]
    st.table({key: [_cell(v) for v in values] for key, values in rows.items()})
    _link_to_try("Try them on the same receipts")


def _show_verdict(verdict: Buildability) -> None:
    if verdict.buildable:
        st.success(prose(f"Can run here: {verdict.reason}."), icon=":material/check_circle:")
    else:
        st.warning(prose(f"Cannot run here: {verdict.message}."), icon=":material/block:")


def _verdict_cell(verdict: Buildability) -> str:
    return "yes" if verdict.buildable else f"no: {verdict.reason}"


def _experiment_rows(details: CheckpointDetails) -> dict[str, list[str]]:
    entry, record = details.entry, details.record
    facts: list[tuple[str, object]] = [
        (
            "created",
            entry.created_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if entry.created_at else None,
        ),
        ("run folder", entry.run_dir),
        ("experiment ID", entry.experiment_id or (record.id if record else None)),
        ("registry status", record.status.value if record else entry.status),
        ("origin", origin(entry)),
        ("sidecar", entry.sidecar),
        (
            "model",
            " / ".join(
                p or "unknown"
                for p in (entry.architecture, entry.encoder, entry.decoder, entry.head)
            ),
        ),
        ("epoch / step", f"{_dash(entry.epoch)} / {_dash(entry.step)}"),
        ("monitor", entry.monitor),
        ("config hash", entry.config_hash),
    ]
    if details.sidecar is not None and details.sidecar.model.parameter_count is not None:
        facts.append(("parameters", f"{details.sidecar.model.parameter_count:,}"))
    if record is not None:
        facts += [
            ("host", record.host),
            ("started", record.created_at.strftime("%Y-%m-%d %H:%M:%S")),
            ("ended", record.ended_at.strftime("%Y-%m-%d %H:%M:%S") if record.ended_at else None),
            ("tags", ", ".join(record.tags) or None),
            ("error", record.error),
        ]
    shown = [(label, value) for label, value in facts if value is not None]
    return {"": [label for label, _ in shown], "value": [prose(str(value)) for _, value in shown]}


def _show_config(details: CheckpointDetails) -> None:
    if details.config_file is None:
        st.info("Its run has no saved config (.hydra/config.yaml).")
        return
    st.caption(f"`{details.config_file}`")
    if details.overrides:
        st.markdown("Overrides: " + ", ".join(f"`{o}`" for o in details.overrides))
    if details.annotated_config is not None:
        st.code(details.annotated_config, language="yaml")


def _show_metrics(entry: CatalogEntry) -> None:
    if not entry.metrics:
        st.info("No metrics were recorded for this checkpoint.")
        return
    names = sorted(entry.metrics, key=lambda name: (name != entry.monitor, name))
    st.table(
        {
            "metric": [f"{name} (monitored)" if name == entry.monitor else name for name in names],
            "value": [f"{entry.metrics[name]:.4f}" for name in names],
        }
    )


def _show_sources(details: CheckpointDetails) -> None:
    sources = details.entry.sources
    if sources:
        st.markdown("Where each recovered field came from:")
        st.table({"field": [prose(f) for f in sources], "source": list(sources.values())})
    if details.sidecar is not None:
        environment = details.sidecar.environment
        st.caption(
            f"Sidecar: {details.sidecar.provenance.source}; torch {environment.torch or '?'}, "
            f"python {environment.python or '?'}, git {environment.git_commit or '?'}"
        )
    for problem in details.problems:
        st.warning(prose(problem))
    if not details.problems:
        st.caption("No problems reading this checkpoint's files.")


def _link_to_try(label: str) -> None:
    from ocr.ui._navigation import pages  # noqa: PLC0415 (the pages import this view)

    st.page_link(pages().try_it, label=label, icon=":material/arrow_forward:")


def _dash(value: object) -> str:
    return UNKNOWN if value is None else str(value)


def _cell(value: object) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:.4f}" if isinstance(value, float) else prose(str(value))
