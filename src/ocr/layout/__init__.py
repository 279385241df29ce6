"""The run directory layout: every folder and file name of a run and a sweep.

A run lives in ``<root>/YYYY-MM-DD/HH-MM-SS[_n]/``; a sweep has the same shape
and holds one numbered folder per job, each laid out like a run. Date and time
are the local wall clock at launch. This package formats and parses those
names, tells runs from sweeps from anything else, allocates fresh folders
without collisions, and provides the Hydra resolvers that put a launch there.
No other module spells these names.

>>> from datetime import datetime
>>> stamp = RunStamp(datetime(2025, 10, 18, 14, 3, 22), clash=1)
>>> str(format_run_path(stamp, job_num=2))
'2025-10-18/14-03-22_1/2'
>>> parse_run_path("2025-10-18/14-03-22_1/2") == RunLocation(stamp, 2)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports
from ocr.layout._kind import LayoutKind
from ocr.layout._migration import MigrationLayout
from ocr.layout._names import (
    DATE_FORMAT,
    JOB_PATTERN,
    TIME_FORMAT,
    RunLocation,
    RunStamp,
    allocate_launch_dir,
    format_job_name,
    format_run_path,
    parse_run_path,
)
from ocr.layout._paths import (
    FolderKind,
    RootLayout,
    RunLayout,
    SweepLayout,
    classify_folder,
)
from ocr.layout._user_path import resolve_user_path

if TYPE_CHECKING:  # the Hydra helpers import OmegaConf: loaded on first use
    from ocr.layout._hydra import (
        DEFAULT_OUTPUT_ROOT,
        LAUNCH_DIR_RESOLVER,
        OUTPUT_ROOT_RESOLVER,
        ROOT_RESOLVER,
        RUN_PATH_RESOLVER,
        ConfigSet,
        hydra_job_name,
        hydra_run_dir,
        launch_dir,
        output_root_of,
        packaged_config_dir,
        register_resolvers,
    )

__all__ = [
    "DATE_FORMAT",
    "DEFAULT_OUTPUT_ROOT",
    "JOB_PATTERN",
    "LAUNCH_DIR_RESOLVER",
    "OUTPUT_ROOT_RESOLVER",
    "ROOT_RESOLVER",
    "RUN_PATH_RESOLVER",
    "TIME_FORMAT",
    "ConfigSet",
    "FolderKind",
    "LayoutKind",
    "MigrationLayout",
    "RootLayout",
    "RunLayout",
    "RunLocation",
    "RunStamp",
    "SweepLayout",
    "allocate_launch_dir",
    "classify_folder",
    "format_job_name",
    "format_run_path",
    "hydra_job_name",
    "hydra_run_dir",
    "launch_dir",
    "output_root_of",
    "packaged_config_dir",
    "parse_run_path",
    "register_resolvers",
    "resolve_user_path",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.layout._hydra": [
            "DEFAULT_OUTPUT_ROOT",
            "LAUNCH_DIR_RESOLVER",
            "OUTPUT_ROOT_RESOLVER",
            "ROOT_RESOLVER",
            "RUN_PATH_RESOLVER",
            "ConfigSet",
            "hydra_job_name",
            "hydra_run_dir",
            "launch_dir",
            "output_root_of",
            "packaged_config_dir",
            "register_resolvers",
        ],
    },
)
