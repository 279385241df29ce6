"""All hypothesis strategies and settings of the test suite."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ocr.layout import RunLocation, RunStamp
from ocr.metadata import (
    UNKNOWN_NAMES,
    CheckpointInfo,
    CheckpointMetadata,
    ConfigInfo,
    EnvironmentInfo,
    ExperimentInfo,
    ModelInfo,
    Provenance,
    TrainingInfo,
)

__all__ = [
    "FUZZ_EXAMPLES_ENV_VAR",
    "checkpoint_metadata",
    "examples_timeout",
    "fuzz_settings",
    "load_profile",
    "path_parts",
    "recipes",
    "run_locations",
    "run_stamps",
]

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


FUZZ_EXAMPLES_ENV_VAR = "OCR_FUZZ_EXAMPLES"
fuzz_settings = settings(
    max_examples=int(os.environ.get(FUZZ_EXAMPLES_ENV_VAR, "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""The hostile-tree fuzz (real processes, seconds a tree): a few trees by default, many
under ``nox -s fuzz``; whatever the profile."""


def load_profile() -> None:
    """Load the profile named by HYPOTHESIS_PROFILE (``default`` or ``thorough``)."""
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples_timeout(seconds_per_example: float) -> float:
    """A pytest-timeout for a property test whose examples each write and read a whole tree.

    The suite's timeout (600 s) catches a hang; a property test under the
    thorough profile (2,000 trees) needs longer, in proportion to its examples.

    Args:
        seconds_per_example: What one example may take on a loaded machine.

    Returns:
        Seconds: the suite's timeout, or more when the profile's examples need it.
    """
    current = settings.default
    examples = current.max_examples if current is not None else 0
    return max(600.0, examples * seconds_per_example)


run_stamps = st.builds(
    RunStamp,
    launched=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    clash=st.integers(min_value=0, max_value=99_999),
)
run_locations = st.builds(
    RunLocation, stamp=run_stamps, job_num=st.none() | st.integers(min_value=0, max_value=99_999)
)

# Path parts close to ours (digits, dashes, underscores) so that the refusal
# property meets near misses, plus arbitrary text.
_near_miss = st.text(alphabet="0123456789-_", min_size=1, max_size=12)
path_parts = st.lists(
    _near_miss | st.text(min_size=1, max_size=8).filter(lambda s: "/" not in s and "\x00" not in s),
    min_size=1,
    max_size=4,
)


# --- checkpoint metadata ---------------------------------------------------

_names = st.none() | st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20
).filter(lambda s: s not in UNKNOWN_NAMES)
_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
# ocr stamps times with datetime.now().astimezone(): a fixed UTC offset. Named
# zones would add nonexistent local times (DST gaps) that no writer produces.
_offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_aware_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets
)
_metric_names = st.sampled_from(
    ["val/hmean", "val/precision", "val/recall", "val/loss", "train/loss"]
)

checkpoint_metadata = st.builds(
    CheckpointMetadata,
    checkpoint=st.builds(
        CheckpointInfo,
        file_name=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s),
        size_bytes=st.integers(min_value=0, max_value=2**40),
        modified_ns=st.integers(min_value=0, max_value=2**62),
        created_at=_aware_times,
    ),
    experiment=st.builds(
        ExperimentInfo,
        id=st.none() | st.text(min_size=1, max_size=30),
        name=st.none() | st.text(max_size=40),
        run_dir=st.text(min_size=1, max_size=40),
        sweep_id=st.none() | st.text(min_size=1, max_size=30),
        job_num=st.none() | st.integers(min_value=0, max_value=10_000),
    ),
    model=st.builds(
        ModelInfo,
        architecture=_names,
        encoder=_names,
        decoder=_names,
        head=_names,
        parameter_count=st.none() | st.integers(min_value=0, max_value=10**10),
    ),
    training=st.builds(
        TrainingInfo,
        epoch=st.integers(min_value=0, max_value=10_000),
        global_step=st.integers(min_value=0, max_value=10**9),
        monitor=st.none() | _metric_names,
        mode=st.none() | st.sampled_from(["min", "max"]),
        score=st.none() | _finite,
        metrics=st.dictionaries(_metric_names, _finite, max_size=5),
        is_best=st.booleans(),
        is_last=st.booleans(),
    ),
    config=st.builds(
        ConfigInfo,
        config_hash=st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        overrides=st.lists(st.text(max_size=30), max_size=4),
        config_path=st.none() | st.just(".hydra/config.yaml"),
    ),
    environment=st.builds(
        EnvironmentInfo,
        python=st.just("3.11.7"),
        torch=st.none() | st.just("2.13.0"),
        lightning=st.none() | st.just("2.6.6"),
        ocr=st.none() | st.just("0.1.0"),
        host=st.none() | st.text(max_size=20),
        git_commit=st.none() | st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
    ),
    provenance=st.builds(
        Provenance,
        source=st.sampled_from(["trained", "migrated"]),
        field_sources=st.dictionaries(
            st.sampled_from(["model.encoder", "training.epoch"]), st.text(max_size=20), max_size=2
        ),
    ),
)

# Recipes: nested configs of scalars, as Hydra resolves them.
_scalars = st.none() | st.booleans() | st.integers() | _finite | st.text(max_size=10)
recipes = st.dictionaries(
    st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(
        lambda k: k not in ("paths", "hydra")
    ),
    st.recursive(
        _scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.text(alphabet="abcdefghij_", min_size=1, max_size=8), children, max_size=3
            )
        ),
        max_leaves=10,
    ),
    min_size=1,
    max_size=5,
)


# --- legacy compat (ocr.compat) ---------------------------------------------
# Appended as one section; its names join __all__ here.

__all__ += [
    "era_c_tags",
    "legacy_architectures",
    "legacy_encoders",
    "legacy_epochs",
    "legacy_name_paths",
    "legacy_phases",
    "legacy_prefixes",
    "legacy_steps",
    "legacy_timestamps",
]

legacy_epochs = st.integers(min_value=0, max_value=10**6)
legacy_steps = st.integers(min_value=0, max_value=10**9)
# strftime pads years below 1000 differently across platforms; legacy names never had them.
legacy_timestamps = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)
).map(lambda moment: moment.replace(microsecond=0))
# Free prefixes such as "resnet34_bs4": no epoch/step word, no separator at either end.
legacy_prefixes = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=16
).filter(
    lambda s: "epoch" not in s and "step" not in s and not s.startswith("_") and not s.endswith("_")
)
# Anything a path relative to a checkpoints folder could be, including near misses.
_name_part = st.text(max_size=40) | st.text(alphabet="epochstv=_-.0123456789/", max_size=40)
legacy_name_paths = st.lists(_name_part, min_size=1, max_size=3)
legacy_architectures = st.sampled_from(["dbnet", "dbnetpp", "craft", "unknown"])
legacy_encoders = st.none() | st.sampled_from(
    ["resnet18", "mobilenetv3_small_050", "efficientnet_b3", "unknown"]
)
legacy_phases = st.sampled_from(["training", "finetune", "train"])
# Era C tags are free text: spaces, '=', '-', '_' and non-ASCII letters. Their last
# dash-separated word is not an architecture word, or the tag would be ambiguous.
_architecture_words = UNKNOWN_NAMES | {"dbnet", "dbnetpp", "craft"}
era_c_tags = st.text(
    alphabet=st.characters(exclude_characters="/\x00", exclude_categories=["Cs"])
    | st.sampled_from(" =-_üß"),
    min_size=1,
    max_size=24,
).filter(lambda tag: tag.split("-")[-1].strip().lower() not in _architecture_words)


# --- catalog query (ocr.catalog._query_parser) --------------------------------------
# Appended as one section; its names join __all__ here. Its import stays inside
# the section so that the sections above remain untouched.
from ocr.catalog._entry import CatalogEntry, LayoutKind, SidecarState  # noqa: E402

__all__ += ["catalog_entries", "query_metric_names", "query_strings", "query_tags"]

query_metric_names = st.sampled_from(["val/hmean", "val_loss", "train/loss"])
query_tags = st.sampled_from(["baseline", "sweep", "Ablation", "x%y"])
# Small alphabets, so that equality and LIKE often hit; quotes and backslashes
# test the literal escapes.
query_strings = st.text(alphabet="abAB_%'\"\\ ", max_size=6)
_query_floats = st.sampled_from([0.0, 0.5, 0.9, 0.93]) | st.floats(
    min_value=-2, max_value=2, allow_nan=False
)
catalog_entries = st.builds(
    CatalogEntry,
    path=st.text(alphabet="ab/._", min_size=1, max_size=8),
    run_dir=st.none() | query_strings,
    experiment_id=st.none() | query_strings,
    name=st.none() | query_strings,
    # Naive times too: the catalog reads them as local time.
    created_at=st.none() | _aware_times | st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    layout=st.sampled_from(LayoutKind) | st.sampled_from([kind.value for kind in LayoutKind]),
    architecture=st.none() | st.sampled_from(["dbnet", "craft"]),
    encoder=st.none() | st.sampled_from(["resnet18", "resnet34", "mobilenet"]),
    decoder=st.none() | st.sampled_from(["unet", "fpn"]),
    head=st.none() | st.sampled_from(["db_head", "craft_head"]),
    epoch=st.none() | st.integers(min_value=0, max_value=20),
    step=st.none() | st.integers(min_value=0, max_value=10**6),
    metrics=st.dictionaries(query_metric_names, _query_floats, max_size=3),
    is_best=st.booleans(),
    is_last=st.booleans(),
    sidecar=st.sampled_from(SidecarState),
    size_bytes=st.integers(min_value=0, max_value=2**40),
    config_hash=st.none() | st.text(alphabet="0123456789abcdef", min_size=8, max_size=8),
    status=st.none() | st.sampled_from(["running", "completed", "failed"]),
    tags=st.lists(query_tags, max_size=3).map(tuple),
)


# --- ablation runs (ocr.ablation) ---------------------------------------------
# Appended as one section, with its own imports, like the catalog query's.
from pathlib import Path  # noqa: E402

from ocr.ablation import AblationRun, ConfigValue, MetricHistory, MetricPoint  # noqa: E402
from ocr.registry import Status  # noqa: E402

__all__ += ["ablation_runs"]

_ablation_statuses = st.sampled_from(
    [Status.COMPLETED, Status.COMPLETED, Status.FAILED, Status.INTERRUPTED, Status.RUNNING, None]
)
_ablation_values = st.floats(min_value=0.0, max_value=1.0) | st.just(float("nan"))


@st.composite
def ablation_runs(draw: st.DrawFn) -> list[AblationRun]:
    """Runs of a small sweep: two factors (one sometimes null, ``8`` beside ``8.0``), seeds,
    every status, histories with NaN or none, and now and then an unreadable config."""
    runs = []
    for index in range(draw(st.integers(min_value=1, max_value=16))):
        values = draw(st.lists(_ablation_values, max_size=4))
        points = tuple(MetricPoint(value, epoch, epoch * 10) for epoch, value in enumerate(values))
        config: dict[str, ConfigValue] = {
            "model.encoder": draw(st.sampled_from(["tiny_cnn", "tiny_resnet", None])),
            "model.width": draw(st.sampled_from([4, 8, 8.0, 16])),
            "seed": draw(st.integers(min_value=0, max_value=3)),
        }
        runs.append(
            AblationRun(
                name=f"2025-01-01/00-00-00/{index}",
                run_dir=Path(f"/root/2025-01-01/00-00-00/{index}"),
                root=Path("/root"),
                status=draw(_ablation_statuses),
                config=config,
                history=MetricHistory({"val/hmean": points} if points else {}),
                problems=draw(st.sampled_from([(), (), (), ("'c.yaml': unreadable run config",)])),
            )
        )
    return runs


# --- catalog JSON output (ocr.cli._entry_json) --------------------------------
# Appended as one section. Entries as the catalog builds them, with any text a
# name can hold (undecodable bytes as lone surrogates, control characters,
# quotes, non-ASCII), every non-finite metric, and now and then a value of a
# type the catalog never produces (a bool step, an int metric), which the
# streamed output must still spell exactly as json does.
__all__ += ["output_catalog_entries"]

_any_text = st.text(max_size=12)
_odd_numbers = st.booleans() | st.integers(min_value=-3, max_value=3)
output_catalog_entries = st.builds(
    CatalogEntry,
    path=_any_text,
    layout=st.sampled_from(LayoutKind) | st.sampled_from([kind.value for kind in LayoutKind]),
    sidecar=st.sampled_from(SidecarState),
    run_dir=st.none() | _any_text,
    experiment_id=st.none() | _any_text,
    name=st.none() | _any_text,
    created_at=st.none() | _aware_times | st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    architecture=st.none() | _any_text,
    encoder=st.none() | _any_text,
    decoder=st.none() | _any_text,
    head=st.none() | _any_text,
    epoch=st.none() | st.integers(min_value=-(2**70), max_value=2**70) | _odd_numbers,
    step=st.none() | st.integers(min_value=0, max_value=10**12),
    metrics=st.dictionaries(_any_text, st.floats() | _odd_numbers, max_size=4),
    is_best=st.booleans(),
    is_last=st.booleans(),
    size_bytes=st.integers(min_value=0, max_value=2**63),
    config_hash=st.none() | _any_text,
    status=st.none() | _any_text,
    tags=st.lists(_any_text, max_size=3).map(tuple),
    sources=st.dictionaries(_any_text, _any_text, max_size=3),
    problems=st.lists(_any_text, max_size=2).map(tuple),
    monitor=st.none() | _any_text,
    task=st.none() | _any_text,
)
