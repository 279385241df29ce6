"""Checkpoints and their sidecars: found by the catalog, described truly.

Every checkpoint file on disk must be in the catalog; every new-layout
checkpoint must have a sidecar (but an alias, a link to a checkpoint beside
it, which its target's sidecar describes: :mod:`ocr._suspicious`); every sidecar must be valid, have its
checkpoint, and agree with it (file name, size, and the epoch and step the
file name carries). Each sidecar is read once, here, from disk: the catalog's
index may hold an older reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr._reading import is_inside
from ocr._suspicious import alias_target
from ocr.catalog import LayoutKind
from ocr.errors import MetadataInvalidError, MetadataVersionError, UnsafeFileError
from ocr.metadata import CheckpointMetadata, read_metadata
from ocr.naming import SIDECAR_SUFFIX, parse_checkpoint_name, sidecar_name
from ocr.validate._hashes import HashClaim
from ocr.validate._report import Problem, ProblemKind, display_path, one_line
from ocr.validate._tree import folder_unreadable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ocr.catalog import CatalogEntry
    from ocr.validate._tree import TreeListing

__all__ = ["CheckpointFindings", "check_checkpoints"]


@dataclass
class CheckpointFindings:
    """What the checkpoint and sidecar checks found.

    Attributes:
        problems: Every problem, in no particular order.
        claims: The config hashes the valid sidecars claim, for the config check.
    """

    problems: list[Problem] = field(default_factory=list)
    claims: list[HashClaim] = field(default_factory=list)


def check_checkpoints(
    root: Path, listing: TreeListing, catalog: Mapping[str, CatalogEntry], inside: tuple[str, ...]
) -> CheckpointFindings:
    """Check every checkpoint and sidecar of the walk against the catalog and each other.

    Args:
        root: The output root (absolute).
        listing: The plain walk of the root.
        catalog: The catalog's entries by path (as the walk spells paths).
        inside: The real folders the catalog scanned (the root and the legacy
            folders beside it): no file is read through a link out of them.

    Returns:
        The problems, and the config hashes to check.
    """
    findings = CheckpointFindings()
    sidecars = set(listing.sidecars)
    findings.problems += [
        folder_unreadable(root, folder, why) for folder, why in listing.unreadable.items()
    ]
    for checkpoint, size in listing.checkpoints.items():
        entry = catalog.get(checkpoint)
        if entry is None:
            findings.problems.append(_undiscoverable(root, checkpoint, size, inside))
        elif (
            entry.layout == LayoutKind.NEW
            and sidecar_name(checkpoint) not in sidecars
            and alias_target(checkpoint) is None  # an alias: its target's sidecar describes it
        ):
            findings.problems.append(
                Problem.of(
                    ProblemKind.SIDECAR_MISSING,
                    display_path(root, checkpoint),
                    "the checkpoint has no sidecar, so its model, metrics and config are unknown. "
                    "Save checkpoints with UniqueModelCheckpoint (it writes the sidecar), or write "
                    "one with ocr.metadata.write_metadata",
                )
            )
    for sidecar in listing.sidecars:
        _check_sidecar(root, sidecar, listing, catalog, findings=findings, inside=inside)
    return findings


def _undiscoverable(
    root: Path, checkpoint: str, size: int | None, inside: tuple[str, ...]
) -> Problem:
    """Why the catalog does not list a checkpoint file: on purpose, or a bug."""
    if size is None:
        why = (
            "the file cannot be read (a dangling link?), so the catalog skips it. "
            "Restore what it points to, or remove it"
        )
    elif Path(checkpoint).is_symlink() and not is_inside(checkpoint, inside):
        why = (
            "it is a link out of the output root, and ocr never follows a link out of the "
            "folders it reads, so the catalog does not list it. Copy the checkpoint into the "
            "root, or remove the link"
        )
    elif not Path(checkpoint).is_file():
        why = (
            "it is no regular file (a FIFO, a device or a socket), so it holds no checkpoint and "
            "the catalog does not list it. Replace it with the checkpoint file, or remove it"
        )
    else:
        why = (
            "the catalog does not find this checkpoint. Rescan with `ocr catalog ROOT --rescan`; "
            "if it is still missing, report a bug"
        )
    return Problem.of(ProblemKind.CHECKPOINT_UNDISCOVERABLE, display_path(root, checkpoint), why)


def _check_sidecar(
    root: Path,
    sidecar: str,
    listing: TreeListing,
    catalog: Mapping[str, CatalogEntry],
    *,
    findings: CheckpointFindings,
    inside: tuple[str, ...],
) -> None:
    # Hot: runs once per sidecar, so paths stay strings and the shown path is
    # only worked out for a problem.
    checkpoint = sidecar.removesuffix(SIDECAR_SUFFIX)
    if checkpoint not in listing.checkpoints:
        why = "the sidecar's checkpoint is gone. Restore the checkpoint, or delete the sidecar"
        findings.problems.append(_of(ProblemKind.SIDECAR_ORPHAN, root, sidecar, why))
        return
    try:
        metadata = read_metadata(Path(sidecar), inside=inside)
    except (MetadataInvalidError, MetadataVersionError, UnsafeFileError) as exc:
        findings.problems.append(
            _of(ProblemKind.SIDECAR_INVALID, root, sidecar, one_line(str(exc)))
        )
        return
    except OSError as exc:
        why = f"the sidecar cannot be read ({exc.strerror}). Make it readable"
        findings.problems.append(_of(ProblemKind.SIDECAR_INVALID, root, sidecar, why))
        return
    name = checkpoint.rpartition(os.sep)[2]
    disagreements = _disagreements(metadata, name, listing.checkpoints[checkpoint])
    if disagreements:
        why = (
            f"the sidecar disagrees with its checkpoint: {'; '.join(disagreements)}. Restore the "
            "checkpoint it describes, or delete the sidecar"
        )
        findings.problems.append(_of(ProblemKind.SIDECAR_MISMATCH, root, sidecar, why))
    claimed = metadata.config.config_hash
    entry = catalog.get(checkpoint)
    if claimed is not None and entry is not None:
        findings.claims.append(HashClaim(owner=sidecar, config_hash=claimed, run_dir=entry.run_dir))


def _of(kind: ProblemKind, root: Path, path: str, message: str) -> Problem:
    return Problem.of(kind, display_path(root, path), message)


def _disagreements(metadata: CheckpointMetadata, name: str, size: int | None) -> list[str]:
    info, training = metadata.checkpoint, metadata.training
    found = []
    if info.file_name != name:
        found.append(f"file_name is {info.file_name!r}, the checkpoint is {name!r}")
    if size is not None and info.size_bytes != size:
        found.append(f"size_bytes is {info.size_bytes}, the checkpoint has {size} bytes")
    parsed = parse_checkpoint_name(name)
    if parsed is not None and parsed.epoch is not None and parsed.epoch != training.epoch:
        found.append(f"epoch is {training.epoch}, the file name says {parsed.epoch}")
    if parsed is not None and parsed.step is not None and parsed.step != training.global_step:
        found.append(f"global_step is {training.global_step}, the file name says {parsed.step}")
    return found
