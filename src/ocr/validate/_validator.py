"""Run every integrity check over an output root and gather one report.

The checks only read. The catalog they ask may refresh its own index (a
deletable cache under ``<root>/.ocr``), as every catalog scan does; nothing
else is written, and nothing is repaired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ocr._reading import real_folders
from ocr.catalog import CheckpointCatalog
from ocr.layout import RootLayout
from ocr.validate._checkpoints import check_checkpoints
from ocr.validate._hashes import ConfigHashes
from ocr.validate._mappings import check_mappings
from ocr.validate._records import check_records
from ocr.validate._report import Check, Counts, ValidationReport
from ocr.validate._tree import list_tree

if TYPE_CHECKING:
    from ocr._typing import StrPath

__all__ = ["CHECKS", "validate_root"]

CHECKS: Final = tuple(Check)
"""Every check, in the order they run and report."""


def validate_root(root: StrPath) -> ValidationReport:
    """Check the integrity of an output root; never changes it.

    Checks that every checkpoint file is found by the catalog; that every
    new-layout checkpoint has a sidecar and every sidecar is valid, has its
    checkpoint and agrees with it; that every config hash (in sidecars and
    records) matches its run's saved config; that every run folder has a valid
    record and every record names its own folder; and that every migration
    mapping is valid and points at something that exists.

    Args:
        root: The output root.

    Returns:
        The report; ``report.ok`` when every check holds.

    Raises:
        InputPathError: ``root`` does not exist or is not a folder.

    >>> import tempfile
    >>> report = validate_root(tempfile.mkdtemp())
    >>> report.ok, report.counts.checkpoints
    (True, 0)
    """
    folder = RootLayout.existing(root).root
    listing = list_tree(folder)
    scanned = CheckpointCatalog([folder])
    catalog = {entry.path: entry for entry in scanned.scan()}
    inside = real_folders(scanned.legacy_folders(folder).tops(folder))
    checkpoints = check_checkpoints(folder, listing, catalog, inside)
    records = check_records(folder, listing.records, listing.unreadable)
    claims = [*checkpoints.claims, *records.claims]
    hashes = ConfigHashes(folder).check(claims)
    mappings = check_mappings(folder)
    counts = Counts(
        checkpoints=len(listing.checkpoints),
        sidecars=len(listing.sidecars),
        config_hashes=len(claims),
        runs=records.runs,
        records=len(listing.records),
        mappings=mappings.files,
        mapping_entries=mappings.entries,
    )
    problems = [*checkpoints.problems, *records.problems, *hashes, *mappings.problems]
    return ValidationReport.of(folder, list(CHECKS), counts, problems)
