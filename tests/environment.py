"""The environment a real ``lianfang`` process gets in tests: nothing of the developer's, the tests' data key."""

from __future__ import annotations

import os

DATA_KEY = "LIANFANG_DATA_KEY"
"""Kept: the tests seal and read personal data with one key, and PostgreSQL refuses to run without one."""


def process_environment() -> dict[str, str]:
    """Return this process's environment without any LIANFANG_* setting but the tests' data key."""
    return {key: value for key, value in os.environ.items() if not key.startswith("LIANFANG_") or key == DATA_KEY}
