"""``lianfang dashboard screenshot``: the README's pictures, from the demo day, with headless Chromium."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from tests.app.test_cli import lianfang

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Return a PNG's width and height, from its header."""
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE, path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_demo_day_is_captured_at_a_phones_width_with_its_chart(tmp_path: Path) -> None:
    assert shutil.which("chromium"), "install Chromium for this test: apt-get install -y chromium (.ci/run does)"
    page, chart = tmp_path / "dashboard.png", tmp_path / "chart.png"
    done = lianfang(
        "dashboard", "screenshot", "--out", str(page), "--chart", str(chart), tmp_path=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "dashboard.png" in done.stdout and "chart.png" in done.stdout
    width, height = png_size(page)
    # the whole page, at twice a phone's 412 CSS pixels, its empty end cut off: longer than a screen, not the window
    assert width == 824 and 2000 < height < 8000
    assert png_size(chart)[0] == 1080


def test_without_chromium_it_says_so_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on the path (python itself is run by its full name)
    page = tmp_path / "dashboard.png"
    missing = lianfang("dashboard", "screenshot", "--out", str(page), tmp_path=tmp_path)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "Chromium is not installed" in missing.stderr and "apt-get install chromium" in missing.stderr
    assert not page.exists()
