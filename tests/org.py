"""Load org files in tests the way the app does: the core plus every feature's section."""

from pathlib import Path

from lianfang.app.features import FIGURES, ORG_SECTIONS
from lianfang.bot.org import Org, Problem, check_org, default_org_path, load_org, org_model

APP_ORG = org_model(ORG_SECTIONS, FIGURES)
"""The org model the app loads: the core and the features' sections."""


def load_test_org(path: str | Path | None = None) -> Org:
    """Load an org file (the bundled sample by default) with the app's sections."""
    return load_org(path or default_org_path(), ORG_SECTIONS, FIGURES)


def check_test_org(path: str | Path) -> list[Problem]:
    """Check an org file with the app's sections."""
    return check_org(path, ORG_SECTIONS, FIGURES)
