"""A hypothesis strategy for whole legacy trees, and a way to write one to disk.

:func:`legacy_trees` draws a :class:`LegacyTree`: the files (path, bytes, mtime)
and symbolic links of a small legacy ``outputs/`` with ``multirun/`` and ``wandb/``
beside it, plus what a correct reader must find in it. :func:`materialize`
writes one under a base folder. Trees mix eras A to D (docs/legacy-formats.md), every
checkpoint name form, the three legacy sidecar formats (valid, null-valued,
corrupt), Hydra configs that are present, missing or full of "not known" words,
side files, and the shapes real trees hold beyond the format notes:

- a folder of several runs at a random depth (``outputs/experiments/<...>/
  <YYYYmmdd_HHMMSS>[_<seed>]/``, or the lightning-hydra-template's
  ``<task>/runs/<YYYY-MM-DD_HH-MM-SS>/`` and ``<task>/multiruns/<stamp>/<n>/``),
  each run with its ``.hydra``, maybe with a file that belongs to no run;
- folder checkpoints (``epoch=2-step=99.ckpt/checkpoint/*.pt`` and ``latest``);
- checkpoints elsewhere in a run: ``submissions/final.ckpt``,
  ``lightning_logs/version_<k>/checkpoints/``;
- empty (0-byte) checkpoints, which random bytes often are;
- and links:

- a ``.ckpt`` link to another checkpoint inside the tree (as some scripts made
  ``best.ckpt``). It counts as a checkpoint of the folder it sits in, under its
  own name: the catalog lists it as its own entry;
- a folder link inside the tree (W&B's ``latest-run``, an ``outputs/latest``),
  which a walk must not follow: what is behind it is listed once, under its
  real path;
- a link out of the tree, to a file or folder under ``<base>/outside/``, which
  is never a checkpoint of the tree. With ``outside_checkpoint_links=True`` one
  of them is named ``*.ckpt`` and points to a checkpoint outside the tree.

Checkpoint bytes are random: discovery never opens a checkpoint.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

import yaml
from hypothesis import strategies as st

from ocr.compat._shared import Era
from ocr.metadata import UNKNOWN_NAMES
from tests.strategies import era_c_tags, legacy_architectures, legacy_encoders, legacy_phases

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "ExpectedCheckpoint",
    "ExpectedExperiment",
    "LegacyTree",
    "TreeFile",
    "TreeLink",
    "legacy_trees",
    "materialize",
]

OUTSIDE: Final = "outside"
"""The folder beside the tree (under the same base) that links may point into."""
MAX_FILES: Final = 24
"""Side files and sidecars stop here; every drawn checkpoint is still written (about 30 at most)."""


@dataclass(frozen=True)
class TreeFile:
    """One regular file.

    Args:
        path: POSIX path relative to the base (``outputs/...``, ``multirun/...``,
            ``wandb/...`` or ``outside/...``).
        data: Its bytes.
        mtime_ns: Its modification time.
    """

    path: str
    data: bytes
    mtime_ns: int


@dataclass(frozen=True)
class TreeLink:
    """One symbolic link.

    Args:
        path: POSIX path of the link, relative to the base.
        target: POSIX path of what it points to, relative to the base.
        absolute: Written as an absolute path (else relative to the link's folder).
    """

    path: str
    target: str
    absolute: bool


@dataclass(frozen=True)
class ExpectedCheckpoint:
    """A checkpoint a reader must find.

    Args:
        path: POSIX path relative to the base (a link's own path for a link).
        experiment: Its experiment folder, relative to the base.
        era: The era of that folder.
        epoch: What its name or a valid sidecar says (all agree), else ``None``.
        step: Likewise for the global step.
        is_link: A link to another checkpoint inside the tree.
        is_folder: A folder checkpoint (no link may point at it).
    """

    path: str
    experiment: str
    era: Era
    epoch: int | None
    step: int | None
    is_link: bool = False
    is_folder: bool = False


@dataclass(frozen=True)
class ExpectedExperiment:
    """An experiment folder and what the compat layer must say of it.

    Args:
        folder: POSIX path relative to the base.
        era: Its era.
        config_dir: The ``.hydra`` folder of its config (relative), if any; for
            era C possibly another folder, joined through W&B.
    """

    folder: str
    era: Era
    config_dir: str | None


@dataclass(frozen=True)
class LegacyTree:
    """A drawn legacy tree and what a correct reader finds in it.

    Args:
        files: Every regular file (those under ``outside/`` included).
        links: Every symbolic link.
        checkpoints: The checkpoints of the tree, links into it included.
        experiments: The experiment folders holding them.
        outside_checkpoint_links: ``*.ckpt`` links that leave the tree (not
            checkpoints of the tree).
    """

    files: tuple[TreeFile, ...]
    links: tuple[TreeLink, ...]
    checkpoints: tuple[ExpectedCheckpoint, ...]
    experiments: tuple[ExpectedExperiment, ...]
    outside_checkpoint_links: tuple[str, ...] = ()


def materialize(tree: LegacyTree, base: Path) -> None:
    """Write ``tree`` under ``base`` (``outputs/`` is always created).

    Args:
        tree: The tree.
        base: An existing, empty folder.
    """
    (base / "outputs").mkdir(exist_ok=True)
    for file in tree.files:
        path = base / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.data)
        os.utime(path, ns=(file.mtime_ns, file.mtime_ns))
    for link in tree.links:
        path, target = base / link.path, base / link.target
        path.parent.mkdir(parents=True, exist_ok=True)
        written = str(target) if link.absolute else os.path.relpath(target, path.parent)
        path.symlink_to(written, target_is_directory=target.is_dir())


# --- the parts ------------------------------------------------------------------

_STAMP_FORMAT: Final = "%Y%m%d_%H%M%S"
_moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
_mtimes = st.integers(min_value=1_577_836_800, max_value=1_767_225_600).map(
    lambda seconds: seconds * 1_000_000_000
)
_epochs = st.integers(min_value=0, max_value=300)
_steps = st.integers(min_value=0, max_value=99_999)
_scores = st.floats(min_value=0, max_value=9.9999).map(lambda x: f"{x:.4f}")
_prefixes = st.sampled_from(["resnet34_bs4", "mbv3", "exp7_lr1e3", "dbnet"])
# Real names and every spelling of "not known" that legacy tools wrote.
_placeholders = st.sampled_from(
    [*sorted(UNKNOWN_NAMES), "None", "Unknown", "OCRModel", "NULL", " "]
)
_architectures = st.sampled_from(["dbnet", "dbnetpp", "craft"]) | _placeholders
_encoders = (
    st.sampled_from(["resnet18", "mobilenetv3_small_050", "efficientnet_b3"]) | _placeholders
)
_decoders = (
    st.sampled_from(["unet", "pan_decoder", "ocr.models.decoder.fpn_decoder.FPNDecoder"])
    | _placeholders
    | _placeholders.map(lambda word: f"ocr.models.decoder.{word}")
)
_heads = (
    st.sampled_from(["db_head", "dbnetpp_head", "ocr.models.head.db_head.DBHead"]) | _placeholders
)
_ERA_C: Final = re.compile(r"(.+)_([^_]+)_(\d{8}_\d{6})", re.DOTALL)


def _yaml(data: object) -> str:
    """YAML as the legacy tools wrote it: UTF-8, not escaped."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _is_era_c_spelling(name: str) -> bool:
    match = _ERA_C.fullmatch(name)
    if match is None:
        return False
    try:
        datetime.strptime(match[3], _STAMP_FORMAT)
    except ValueError:
        return False
    return True


# Free-text experiment names: spaces, '=', ',', '-', '_', '.', non-ASCII letters.
# Never '.', '..', '.ocr' (the catalog's own folder), a "not known" word (the
# name is shown), or a spelling that is era C.
_free_names = st.text(
    alphabet=st.characters(categories=["L", "Nd"]) | st.sampled_from(" =,-_.äöüßé"),
    min_size=1,
    max_size=24,
).filter(
    lambda name: (
        name not in {".", "..", ".ocr"}
        and name.strip().lower() not in UNKNOWN_NAMES
        and not _is_era_c_spelling(name)
    )
)
# ``<base>-<arch>-<decoder>-<encoder>``, with real and "not known" words.
_spelled_names = st.tuples(
    st.sampled_from(["ocr_training", "receipts"]),
    _architectures,
    st.sampled_from(["unet", "pan_decoder", "fpn_decoder", "unknown", "custom"]),
    _encoders,
).map("-".join)
_experiment_names = _free_names | _spelled_names.filter(lambda name: name.strip() == name)


@dataclass(frozen=True)
class _Name:
    """A checkpoint name relative to its checkpoints folder, and what it says."""

    relative: str
    epoch: int | None
    step: int | None


# Every checkpoint name form of docs/legacy-formats.md: the template (without ``.ckpt``),
# and whether the name says the epoch and the step.
_FORMS: Final = (
    ("epoch={e}-step={s}", True, True),
    ("epoch={e}", True, False),
    ("epoch-{e}-step-{s}", True, True),
    ("epoch--step-{s}", False, True),
    ("epoch-{e:02d}_step-{s:06d}", True, True),
    ("epoch_epoch={e:02d}-step_step={s:04d}-loss_val_loss={x}", True, True),
    ("{prefix}_epoch_epoch={e}_step_step={s}", True, True),
    ("epoch_{e:02d}_step_{s:06d}_{stamp}", True, True),
    ("epoch_epoch_{e}_step_step_{s:06d}_{stamp}", True, True),
    ("last_{stamp}", False, False),
    ("epoch_{e}_step_{s:06d}", True, True),
    ("epoch-{e:02d}_step-{s:06d}_hmean-{x}", True, True),
    ("best-hmean-{x}", False, False),
    ("{stock}", False, False),
    ("{nothing}", False, False),
)
# A '/' in the monitored metric's name made a folder inside ``checkpoints``.
_SPLIT_FORM: Final = ("epoch_epoch={e:02d}-step_step={s:04d}-loss_val/loss={x}", True, True)
_FIELDS: Final[dict[str, st.SearchStrategy[object]]] = {
    "e": _epochs,
    "s": _steps,
    "x": _scores,
    "stamp": _moments.map(lambda moment: moment.strftime(_STAMP_FORMAT)),
    "prefix": _prefixes,
    "stock": st.sampled_from(["best", "last", "best-v1", "last-v2"]),
    "nothing": st.sampled_from(["model_final", "weights", "checkpoint"]),
}


@st.composite
def _checkpoint_names(draw: st.DrawFn, *, allow_split: bool = True) -> _Name:
    forms = (*_FORMS, _SPLIT_FORM) if allow_split else _FORMS
    template, says_epoch, says_step = draw(st.sampled_from(forms))
    # Only what the template uses is drawn: fewer choices, faster examples.
    values = {
        k: draw(field) for k, field in _FIELDS.items() if re.search(rf"\{{{k}[}}:]", template)
    }
    epoch, step = values.get("e"), values.get("s")
    return _Name(
        template.format(**values) + ".ckpt",
        epoch if says_epoch and isinstance(epoch, int) else None,
        step if says_step and isinstance(step, int) else None,
    )


_CORRUPT_YAML: Final = (
    b"training: {epoch: [",
    b"- a\n- list\n",
    b"training:\n  epoch: three\n",
    b"\xff\xfe\x00",
)
_CORRUPT_JSON: Final = (b'{"training": {"epoch": ', b"[]", b'{"training": {"global_step": "x"}}')


@dataclass
class _Builder:
    """Collects the tree while it is drawn."""

    draw: st.DrawFn
    files: dict[str, TreeFile] = field(default_factory=dict)
    links: list[TreeLink] = field(default_factory=list)
    checkpoints: list[ExpectedCheckpoint] = field(default_factory=list)
    experiments: list[ExpectedExperiment] = field(default_factory=list)
    outside_checkpoint_links: list[str] = field(default_factory=list)

    def add(self, path: str, data: bytes | str, *, required: bool = False) -> bool:
        if path in self.files or (not required and len(self.files) >= MAX_FILES):
            return False
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.files[path] = TreeFile(path, raw, self.draw(_mtimes))
        return True

    def maybe(self) -> bool:
        return self.draw(st.booleans()) and len(self.files) < MAX_FILES

    def hydra(self, folder: str, name: str, *, always: bool = False) -> bool:
        """A ``.hydra`` folder whose config names a model, or nothing (missing configs)."""
        if not (always or self.maybe()):
            return False
        model = {
            "architecture_name": self.draw(_architectures),
            "encoder": {"model_name": self.draw(_encoders)},
            "decoder": {"_target_": self.draw(_decoders)},
            "head": {"name": self.draw(_heads)},
        }
        config = {"exp_name": name, "paths": {"output_dir": folder}, "model": model}
        self.add(f"{folder}/.hydra/config.yaml", _yaml(config), required=True)
        if self.maybe():
            self.add(f"{folder}/.hydra/hydra.yaml", _yaml({"hydra": {"run": {"dir": folder}}}))
            self.add(f"{folder}/.hydra/overrides.yaml", _yaml([f"exp_name={name}"]))
        return True

    def side_files(self, folder: str, name: str) -> None:
        """Some of: a log, Lightning's logs, TensorBoard's, a submission."""
        stamp = self.draw(_moments)
        kinds: dict[str, Callable[[], object]] = {
            "log": lambda: self.add(
                f"{folder}/train.log",
                f"[{stamp:%Y-%m-%d %H:%M:%S},123][__main__][INFO] - writing to {folder}\n",
            ),
            "lightning": lambda: (
                self.add(f"{folder}/lightning_logs/version_0/hparams.yaml", "lr: 0.001\n"),
                self.add(f"{folder}/lightning_logs/version_0/metrics.csv", "epoch,step\n0,9\n"),
            ),
            "tensorboard": lambda: self.add(
                f"{folder}/logs/{name}/version_0/events.out.tfevents.{int(stamp.timestamp())}.box.1.0",
                self.draw(st.binary(max_size=16)),
            ),
            "submission": lambda: self.add(
                f"{folder}/submissions/{stamp:{_STAMP_FORMAT}}.json", '{"images": {}}\n'
            ),
        }
        for kind in self.draw(st.lists(st.sampled_from(sorted(kinds)), max_size=2, unique=True)):
            kinds[kind]()

    def checkpoint_files(
        self, checkpoint_dir: str, experiment: str, era: Era, *, allow_split: bool = True
    ) -> None:
        """One to three checkpoints, each maybe with sidecars (valid or corrupt)."""
        names = self.draw(
            st.lists(
                _checkpoint_names(allow_split=allow_split),
                min_size=1,
                max_size=3,
                unique_by=lambda name: name.relative,
            )
        )
        for name in names:
            path = f"{checkpoint_dir}/{name.relative}"
            if not self.add(path, self.draw(st.binary(max_size=32)), required=True):
                continue  # two drawn folders met
            epoch, step = self.sidecars(path, name)
            self.checkpoints.append(ExpectedCheckpoint(path, experiment, era, epoch, step))

    def sidecars(self, checkpoint: str, name: _Name) -> tuple[int | None, int | None]:
        """Up to two sidecars of different formats; returns what the valid ones and the name say."""
        epoch, step = name.epoch, name.step
        # The truth is the name's, or drawn here when the name does not say.
        true_epoch = name.epoch if name.epoch is not None else self.draw(_epochs)
        true_step = name.step if name.step is not None else self.draw(_steps)
        stem = checkpoint.removesuffix(".ckpt")
        formats = self.draw(
            st.lists(st.sampled_from(["json", "yaml", "ckpt_yaml"]), max_size=2, unique=True)
        )
        for sidecar_format in formats:
            path = {"json": f"{stem}.metadata.json", "yaml": f"{stem}.metadata.yaml"}.get(
                sidecar_format, f"{checkpoint}.metadata.yaml"
            )
            if self.draw(st.booleans()):  # corrupt
                broken = _CORRUPT_JSON if sidecar_format == "json" else _CORRUPT_YAML
                self.add(path, self.draw(st.sampled_from(broken)))
                continue
            says = self.draw(st.booleans())
            training = {
                "epoch": true_epoch if says else None,
                "global_step": true_step if says else None,
            }
            model: dict[str, object] = {"architecture": self.draw(_architectures)}
            model["encoder"] = self.draw(_encoders)
            if sidecar_format == "json":
                model["components"] = {"decoder": self.draw(_decoders), "head": self.draw(_heads)}
                sidecar = {"checkpoint_path": checkpoint, "training": training, "model": model}
            else:
                model["encoder"] = {"model_name": model["encoder"]}
                model["decoder"] = {"name": self.draw(_decoders)}
                sidecar = {"schema_version": "1.0", "training": training, "model": model}
            text = json.dumps(sidecar) if sidecar_format == "json" else _yaml(sidecar)
            if self.add(path, text) and says:
                epoch = true_epoch if epoch is None else epoch
                step = true_step if step is None else step
        return epoch, step


def _folder_checkpoint(b: _Builder, checkpoint_dir: str, experiment: str, era: Era) -> None:
    """A sharded checkpoint: a folder ``epoch=<e>-step=<s>.ckpt`` of shards and ``latest``."""
    epoch, step = b.draw(_epochs), b.draw(_steps)
    path = f"{checkpoint_dir}/epoch={epoch}-step={step}.ckpt"
    if any(p == path or p.startswith(f"{path}/") for p in b.files):
        return
    b.add(f"{path}/checkpoint/mp_rank_00_model_states.pt", b.draw(st.binary(max_size=32)), required=True)  # fmt: skip
    b.add(f"{path}/latest", b"checkpoint", required=True)
    b.checkpoints.append(ExpectedCheckpoint(path, experiment, era, epoch, step, is_folder=True))


_STAMP_SPELLINGS: Final = ("%Y%m%d_%H%M%S", "%Y-%m-%d_%H-%M-%S")
_CONTAINER_WORDS: Final = st.sampled_from(["experiments", "det", "receipts", "dbnet", "v2 runs"])


def _stamped(b: _Builder, spelling: str | None = None) -> str:
    """A run folder's name: a stamp in one of the common spellings, maybe with ``_<seed>``."""
    name = b.draw(_moments).strftime(spelling or b.draw(st.sampled_from(_STAMP_SPELLINGS)))
    return f"{name}_{b.draw(st.integers(0, 99))}" if b.draw(st.booleans()) else name


def _nested_run(b: _Builder, folder: str) -> None:
    """A run deep in a folder of runs: its config, checkpoints, maybe more elsewhere in it."""
    if any(e.folder == folder for e in b.experiments):
        return
    b.hydra(folder, folder.rsplit("/", 1)[1], always=True)
    b.checkpoint_files(f"{folder}/checkpoints", folder, Era.A)
    extras = b.draw(
        st.lists(st.sampled_from(["submission", "lightning", "sharded"]), max_size=2, unique=True)
    )
    if "submission" in extras and b.add(f"{folder}/submissions/final.ckpt", b"final", required=True):  # fmt: skip
        b.checkpoints.append(
            ExpectedCheckpoint(f"{folder}/submissions/final.ckpt", folder, Era.A, None, None)
        )
    if "lightning" in extras:
        version = b.draw(st.integers(0, 2))
        b.checkpoint_files(f"{folder}/lightning_logs/version_{version}/checkpoints", folder, Era.A)
    if "sharded" in extras:
        _folder_checkpoint(b, f"{folder}/checkpoints", folder, Era.A)
    b.experiments.append(ExpectedExperiment(folder, Era.A, f"{folder}/.hydra"))


def _nested(b: _Builder) -> None:
    """A folder of several runs at a random depth, or a lightning-hydra-template ``logs``."""
    top = b.draw(st.sampled_from(["experiments", "logs", "archive"]))
    if any(p.startswith(f"outputs/{top}/") for p in b.files) or any(
        e.folder == f"outputs/{top}" for e in b.experiments
    ):
        return
    container = "/".join(["outputs", top, *b.draw(st.lists(_CONTAINER_WORDS, max_size=2))])
    if b.draw(st.booleans()):  # the template: runs/ and multiruns/ of a task
        task = f"{container}/{b.draw(st.sampled_from(['train', 'eval']))}"
        for _ in range(b.draw(st.integers(1, 2))):
            _nested_run(b, f"{task}/runs/{_stamped(b, _STAMP_SPELLINGS[1])}")
        if b.draw(st.booleans()):
            sweep = f"{task}/multiruns/{_stamped(b, _STAMP_SPELLINGS[1])}"
            b.add(f"{sweep}/multirun.yaml", _yaml({"hydra": {"mode": "MULTIRUN"}}))
            for job in b.draw(st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True)):
                _nested_run(b, f"{sweep}/{job}")
    else:
        for _ in range(b.draw(st.integers(1, 2))):
            _nested_run(b, f"{container}/{_stamped(b)}")
    if b.draw(st.booleans()):  # a file that belongs to no run
        b.add(f"outputs/{top}/README.md", "notes\n", required=True)


def _era_a(b: _Builder, name: str) -> None:
    folder = f"outputs/{name}"
    checkpoint_dir = f"{folder}/checkpoints"
    if b.draw(st.integers(min_value=0, max_value=4)) == 0:
        checkpoint_dir = f"{folder}/lightning_logs/version_{b.draw(st.integers(0, 2))}/checkpoints"
    b.checkpoint_files(checkpoint_dir, folder, Era.A)
    if b.draw(st.integers(min_value=0, max_value=3)) == 0:
        _folder_checkpoint(b, checkpoint_dir, folder, Era.A)
    if b.draw(st.booleans()):  # same-named reruns: best and best-v1 in one folder
        for stock in ("best", "best-v1"):
            path = f"{checkpoint_dir}/{stock}.ckpt"
            if b.add(path, b"rerun", required=True):
                b.checkpoints.append(ExpectedCheckpoint(path, folder, Era.A, None, None))
    config = f"{folder}/.hydra" if b.hydra(folder, name) else None
    b.experiments.append(ExpectedExperiment(folder, Era.A, config))
    b.side_files(folder, name)


def _era_b(b: _Builder, name: str) -> None:
    folder = f"outputs/{name}"
    subfolders = ["dbnet_resnet18", "unknown_unknown", "dbnetpp_efficientnet_b3", "OCRModel_None"]
    for subfolder in b.draw(
        st.lists(st.sampled_from(subfolders), min_size=1, max_size=2, unique=True)
    ):
        b.checkpoint_files(f"{folder}/checkpoints/{subfolder}", folder, Era.B, allow_split=False)
    config = f"{folder}/.hydra" if b.hydra(folder, name) else None
    b.experiments.append(ExpectedExperiment(folder, Era.B, config))
    b.side_files(folder, name)


def _era_c(
    b: _Builder, config_name: str, stamps: list[str], era_c: list[tuple[str, str, bool]]
) -> None:
    """A tagged folder; adds it, its timestamp and whether it has its own config to ``era_c``."""
    architecture, encoder = b.draw(legacy_architectures), b.draw(legacy_encoders)
    head = "-".join([b.draw(era_c_tags), architecture, *([encoder] if encoder else [])])
    # Reuse a drawn timestamp now and then: two runs of one second are joined to nothing.
    reuse = b.draw(st.booleans())
    if stamps and reuse:
        stamp = b.draw(st.sampled_from(stamps))
    else:
        stamp = b.draw(_moments).strftime(_STAMP_FORMAT)
    folder = f"outputs/{head}_{b.draw(legacy_phases)}_{stamp}"
    if any(e.folder == folder for e in b.experiments) or any(c[0] == folder for c in era_c):
        return
    b.checkpoint_files(f"{folder}/checkpoints", folder, Era.C)
    # Now and then the folder has its own config, which wins over any join.
    own_config = b.draw(st.integers(min_value=0, max_value=4)) == 4
    if own_config:
        b.hydra(folder, config_name, always=True)
    # Mostly, the config went to outputs/<exp_name>, as hydra.run.dir said, and
    # W&B has the run: the join then finds it.
    if b.draw(st.integers(min_value=0, max_value=3)) > 0:
        b.hydra(f"outputs/{config_name}", config_name, always=True)
        b.side_files(f"outputs/{config_name}", config_name)
    if b.draw(st.integers(min_value=0, max_value=3)) > 0:
        prefix = b.draw(st.sampled_from(["run", "offline-run"]))
        run_id = b.draw(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8)
        )
        wandb = f"wandb/{prefix}-{stamp}-{run_id}"
        b.add(
            f"{wandb}/files/config.yaml",
            _yaml({"exp_name": {"desc": None, "value": config_name}}),
            required=True,
        )
        b.add(f"{wandb}/files/wandb-summary.json", '{"val/hmean": 0.5}\n')
        b.add(f"{wandb}/files/output.log", "Epoch 0: 100%\n")
    stamps.append(stamp)
    era_c.append((folder, stamp, own_config))


def _era_c_config(b: _Builder, folder: str, stamp: str, own_config: bool) -> str | None:
    """Where era C's config is: its own, else joined by a timestamp only one W&B run has."""
    if own_config:
        return f"{folder}/.hydra"
    pattern = re.compile(rf"wandb/(?:run|offline-run)-{stamp}-[a-z0-9]+/files/config\.yaml")
    runs = {path.rsplit("/", 2)[0] for path in b.files if pattern.fullmatch(path)}
    if len(runs) != 1:
        return None
    (run,) = runs
    exp_name = yaml.safe_load(b.files[f"{run}/files/config.yaml"].data)["exp_name"]["value"]
    config = f"outputs/{exp_name}/.hydra"
    return config if f"{config}/config.yaml" in b.files else None


def _era_d(b: _Builder, sweeps: list[str]) -> None:
    launched = b.draw(_moments)
    sweep = f"multirun/{launched:%Y-%m-%d}/{launched:%H-%M-%S}"
    if sweep not in sweeps:
        sweeps.append(sweep)
        b.add(f"{sweep}/multirun.yaml", _yaml({"hydra": {"mode": "MULTIRUN"}}))
    for job in b.draw(
        st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=2, unique=True)
    ):
        folder = f"{sweep}/{job}"
        if any(e.folder == folder for e in b.experiments):
            continue
        checkpoint_dir = f"{folder}/checkpoints"
        if b.draw(st.booleans()):
            checkpoint_dir = (
                f"{folder}/lightning_logs/version_{b.draw(st.integers(0, 2))}/checkpoints"
            )
        b.checkpoint_files(checkpoint_dir, folder, Era.D)
        if b.draw(st.integers(min_value=0, max_value=3)) == 0:
            _folder_checkpoint(b, checkpoint_dir, folder, Era.D)
        config = f"{folder}/.hydra" if b.hydra(folder, "sweep") else None
        b.experiments.append(ExpectedExperiment(folder, Era.D, config))


def _links(b: _Builder, *, outside_checkpoint_links: bool) -> None:
    # Not beside a checkpoint a '/' in its metric split: that folder's name is read too.
    inside = [
        c for c in b.checkpoints if not c.is_link and not c.is_folder and "-loss_val/" not in c.path
    ]
    wanted = b.draw(st.booleans())
    if inside and wanted:  # an alias: a link to a checkpoint beside it
        source = b.draw(st.sampled_from(inside))
        name = b.draw(st.sampled_from(["best-alias", "latest-alias"]))
        path = f"{source.path.rsplit('/', 1)[0]}/{name}.ckpt"
        if path not in b.files and all(link.path != path for link in b.links):
            b.links.append(TreeLink(path, source.path, b.draw(st.booleans())))
            era = next(e.era for e in b.experiments if e.folder == source.experiment)
            b.checkpoints.append(
                ExpectedCheckpoint(path, source.experiment, era, None, None, is_link=True)
            )
    wanted = b.draw(st.booleans())
    if inside and wanted:  # a .ckpt link to a checkpoint in the tree
        source = b.draw(st.sampled_from(inside))
        holder = b.draw(st.sampled_from(inside))
        folder = holder.path.rsplit("/", 1)[0]
        path = f"{folder}/{b.draw(st.sampled_from(['linked', 'latest', 'best-v9']))}.ckpt"
        if path not in b.files and all(link.path != path for link in b.links):
            b.links.append(TreeLink(path, source.path, b.draw(st.booleans())))
            experiment = next(e for e in b.experiments if e.folder == holder.experiment)
            b.checkpoints.append(
                ExpectedCheckpoint(
                    path, holder.experiment, experiment.era, None, None, is_link=True
                )
            )
    # A folder link inside the tree, which a walk must not follow.
    wanted = b.draw(st.booleans())
    taken = any(p.startswith("outputs/latest/") for p in b.files)
    if b.experiments and wanted and not taken:
        target = b.draw(st.sampled_from(b.experiments)).folder
        b.links.append(TreeLink("outputs/latest", target, b.draw(st.booleans())))
    wandb_runs = sorted({p.split("/")[1] for p in b.files if p.startswith("wandb/")})
    wanted = b.draw(st.booleans())
    if wandb_runs and wanted:
        b.links.append(TreeLink("wandb/latest-run", f"wandb/{wandb_runs[-1]}", False))
    _outside_links(b, outside_checkpoint_links=outside_checkpoint_links)


def _outside_links(b: _Builder, *, outside_checkpoint_links: bool) -> None:
    kinds = ["checkpoint"] if outside_checkpoint_links else []
    kinds += b.draw(st.lists(st.sampled_from(["file", "folder"]), max_size=2, unique=True))
    holder = b.draw(st.sampled_from(b.experiments)).folder
    for kind in kinds:
        absolute = b.draw(st.booleans())
        if kind == "file":
            b.files[f"{OUTSIDE}/shared.log"] = TreeFile(f"{OUTSIDE}/shared.log", b"outside\n", 0)
            b.links.append(TreeLink(f"{holder}/shared.log", f"{OUTSIDE}/shared.log", absolute))
        elif kind == "folder":
            path = f"{OUTSIDE}/pretrained/backbone.ckpt"
            b.files[path] = TreeFile(path, b"outside", 0)
            b.links.append(
                TreeLink(f"{holder}/checkpoints/pretrained", f"{OUTSIDE}/pretrained", absolute)
            )
        else:
            path = f"{OUTSIDE}/foreign.ckpt"
            b.files[path] = TreeFile(path, b"outside", 0)
            link = f"{holder}/checkpoints/foreign.ckpt"
            b.links.append(TreeLink(link, path, absolute))
            b.outside_checkpoint_links.append(link)


@st.composite
def legacy_trees(draw: st.DrawFn, *, outside_checkpoint_links: bool = False) -> LegacyTree:
    """Draw a small legacy tree (at most 8 experiments, about 30 files).

    Args:
        draw: Given by hypothesis.
        outside_checkpoint_links: Add a ``*.ckpt`` link to a checkpoint outside the tree.

    Returns:
        The tree and what a reader must find in it.
    """
    b = _Builder(draw)
    eras = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=6))
    names = iter(
        draw(st.lists(_experiment_names, min_size=len(eras), max_size=len(eras), unique=True))
    )
    stamps: list[str] = []
    sweeps: list[str] = []
    era_c: list[tuple[str, str, bool]] = []
    for era in eras:
        if len(b.experiments) + len(era_c) >= 7:
            break
        if era == "A":
            _era_a(b, next(names))
        elif era == "B":
            _era_b(b, next(names))
        elif era == "C":
            _era_c(b, next(names), stamps, era_c)
        else:
            _era_d(b, sweeps)
    if draw(st.booleans()):  # last, so that no drawn experiment lands in it
        _nested(b)
    # Joins are decided once every W&B run is drawn.
    for folder, stamp, own_config in era_c:
        b.experiments.append(
            ExpectedExperiment(folder, Era.C, _era_c_config(b, folder, stamp, own_config))
        )
    _links(b, outside_checkpoint_links=outside_checkpoint_links)
    return LegacyTree(
        files=tuple(b.files.values()),
        links=tuple(b.links),
        checkpoints=tuple(b.checkpoints),
        experiments=tuple(b.experiments),
        outside_checkpoint_links=tuple(b.outside_checkpoint_links),
    )
