"""``lianfang dashboard screenshot``: the README's pictures from the project itself.

Plays the bundled demo day into a temporary database, logs in to the dashboard as its leader with a one-time link,
captures the page with headless Chromium at a phone's width, and (``--chart``) writes that day's report chart.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import secrets
import shutil
import sys
import tempfile
from datetime import date, datetime, time
from pathlib import Path

import uvicorn
from lianfang.app.cli import build_app
from lianfang.app.demo import demo_drill_path
from lianfang.app.drill.command import run_drill
from lianfang.app.drill.format import DrillError, parse_drill
from lianfang.app.drill.player import Options, load_drill_org
from lianfang.app.platforms import Settings
from lianfang.app.serve import QuietServer, listen
from lianfang.app.web import create_web_app
from lianfang.bot.db import session_scope
from lianfang.bot.runtime import App, ManualClock
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, Subcommands
from lianfang.handlers.dashboard import new_login_link, signer_of
from lianfang.handlers.report_files import FILE_KINDS, build_content
from lianfang.models.members import ROLE_LEADER, Member
from pydantic import SecretStr
from sqlmodel import col, select

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""Headless Chromium's command, as Debian, older Debian and Google name it."""
SHOT_TIME = time(18, 0)
"""The demo day's evening: every group has reported and the report has gone out."""
PHONE_WIDTH = 412
TALL = 4000
"""The window's height in CSS pixels: taller than the page, whose empty end is cut off after."""
MARGIN = 16
"""Pixels of background kept below the page's last panel."""
BROWSER_SECONDS = 90
SECRET_BYTES = 32
READY_POLL_SECONDS = 0.01
TITLE = "lianfang dashboard screenshot"


def chromium() -> str | None:
    """Return the command of an installed Chromium, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def cmd_screenshot(args: argparse.Namespace) -> int:
    """Play the demo day and capture the dashboard (and the chart); exit 1 without Chromium or if a step fails."""
    browser = chromium()
    if browser is None:
        print(
            "lianfang: Chromium is not installed, and the screenshot needs it (headless). "
            "On Debian or Ubuntu: apt-get install chromium",
            file=sys.stderr,
        )
        return EXIT_ERROR
    path = demo_drill_path()
    with tempfile.TemporaryDirectory(prefix="lianfang-screenshot-") as folder:
        try:
            drill = parse_drill(path, today=args.date or date.today())
            org_path, org = load_drill_org(drill, Options(), Path(folder))
        except DrillError as error:
            print("\n".join(error.problems), file=sys.stderr)
            return EXIT_INVALID
        day = args.date or drill.day
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        played = io.StringIO()
        options = Options(title=TITLE, database_url=url, quiet=True, summary=False, day=args.date)
        if run_drill(path, played, options) != EXIT_OK:
            print(f"lianfang: the demo day did not play through:\n{played.getvalue()}", file=sys.stderr)
            return EXIT_ERROR
        listener = listen("127.0.0.1", 0)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings = Settings(
            _env_file=None,
            database_url=url,
            org_file=org_path,
            dashboard_secret=SecretStr(secrets.token_urlsafe(SECRET_BYTES)),
            public_base_url=base,
        )
        clock = ManualClock(datetime.combine(day, SHOT_TIME))
        app = build_app(settings, org, clock=clock, announce=False)
        clock.now = datetime.combine(day, SHOT_TIME, app.tz)
        try:
            if args.chart is not None:
                problem = _write(args.chart, _chart(app, day))
                if problem:
                    print(f"lianfang: {problem}", file=sys.stderr)
                    return EXIT_ERROR
            link = _leader_link(app)
            if link is None:
                print("lianfang: the demo day has no leader to log in as", file=sys.stderr)
                return EXIT_ERROR
            shot = asyncio.run(_capture(app, listener, browser, link, args.out, args.scale))
        finally:
            app.engine.dispose()
    if shot is not None:
        print(f"lianfang: {shot}", file=sys.stderr)
        return EXIT_ERROR
    for written in (args.out, args.chart):
        if written is not None:
            print(f"{written} ({Path(written).stat().st_size / 1024:.0f} KB)")
    return EXIT_OK


def _chart(app: App, day: date) -> bytes:
    with session_scope(app.engine) as session:
        return FILE_KINDS["png"].build(build_content(app.dispatcher.context(session, app.clock()), day))


def _leader_link(app: App) -> str | None:
    signer = signer_of(app.settings)
    assert signer is not None  # the settings above set a secret
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        leader = session.exec(
            select(Member).where(Member.role == ROLE_LEADER, col(Member.active)).order_by(col(Member.id))
        ).first()
        if leader is None or leader.id is None:
            return None
        return new_login_link(ctx, signer, leader.id)


async def _capture(app: App, listener, browser: str, link: str, out: Path, scale: float) -> str | None:  # noqa: ANN001
    """Serve the app on the listener, open the link in headless Chromium, keep the page; return a problem or None."""
    config = uvicorn.Config(create_web_app(app), lifespan="off", log_config=None, access_log=False)
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(READY_POLL_SECONDS)
        with tempfile.TemporaryDirectory(prefix="lianfang-chromium-") as profile:
            raw = Path(profile) / "page.png"
            flags = [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--disable-extensions",
                "--lang=zh-CN",
                f"--user-data-dir={profile}",
                f"--window-size={PHONE_WIDTH},{TALL}",
                f"--force-device-scale-factor={scale}",
                f"--screenshot={raw}",
            ]
            process = await asyncio.create_subprocess_exec(
                browser, *flags, link, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            try:
                _, errors = await asyncio.wait_for(process.communicate(), BROWSER_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
                return f"Chromium took more than {BROWSER_SECONDS} s; nothing was written"
            if process.returncode != 0 or not raw.is_file():
                last = errors.decode(errors="replace").strip().splitlines()[-1:] or [""]
                return f"Chromium failed (exit {process.returncode}): {last[0]}"
            try:
                trim(raw, out)
            except OSError as error:
                return f"cannot write {out}: {error.strerror or error}"
    finally:
        server.should_exit = True
        await task
    return None


def trim(raw: Path, out: Path) -> None:
    """Write the capture without the empty window below the page (rows the colour of the bottom-left pixel)."""
    from matplotlib import image

    pixels = image.imread(raw)
    background = pixels[-1, 0]
    filled = [row for row in range(pixels.shape[0]) if (pixels[row] != background).any()]
    end = min(pixels.shape[0], (filled[-1] + 1 if filled else pixels.shape[0]) + MARGIN)
    image.imsave(out, pixels[:end])


def _write(path: Path, data: bytes) -> str | None:
    try:
        path.write_bytes(data)
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    return None


def add_subcommands(sub: Subcommands) -> None:
    """Add ``dashboard screenshot`` to ``lianfang``."""
    dashboard = sub.add_parser("dashboard", help="the leadership dashboard").add_subparsers(
        dest="dashboard_command", required=True
    )
    shot = dashboard.add_parser(
        "screenshot", help="play the demo day on a temporary database and capture the dashboard with headless Chromium"
    )
    shot.add_argument("--out", type=Path, required=True, help="the PNG to write, e.g. docs/dashboard.png")
    shot.add_argument("--chart", type=Path, default=None, help="also write that day's report chart to this PNG")
    shot.add_argument("--date", type=date.fromisoformat, default=None, help="play the demo on this day, YYYY-MM-DD")
    shot.add_argument("--scale", type=float, default=2.0, help="device pixels per CSS pixel (default 2, a phone's)")
    shot.set_defaults(func=cmd_screenshot)
