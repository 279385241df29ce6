"""All hypothesis strategies and settings of the test suite."""

from __future__ import annotations

import os
from datetime import datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ocr.layout import RunLocation, RunStamp

__all__ = ["load_profile", "path_parts", "run_locations", "run_stamps"]

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def load_profile() -> None:
    """Load the profile named by HYPOTHESIS_PROFILE (``default`` or ``thorough``)."""
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
