"""Where the repository and the recorded payloads are, for tests at any depth of the tree."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PAYLOADS = TESTS / "payloads"
