"""The dashboard in a real headless Chromium: log in with a link from a chat transcript, as a leader and as a field
worker, read what each page shows and keep screenshots in test-artifacts/ (look at them: layout, no missing glyph)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

from lianfang.app.web import create_web_app

from tests.fakes import Chat, Harness, keys_of
from tests.handlers.alerts.test_alerts import raise_fever_alert
from tests.handlers.dashboard.conftest import SECRET
from tests.loopback import start_loopback, stop_loopback
from tests.paths import ROOT

ARTIFACTS = ROOT / "test-artifacts"
PHONE = "412,1600"
"""A phone's width in CSS pixels, tall enough for the whole page."""
LINK_PATH = re.compile(r"/dashboard/login\?token=[A-Za-z0-9_\-.]+")
BROWSER_SECONDS = 60


def chromium() -> str:
    """Return the Chromium command; .ci/run installs Debian's package when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "install Chromium for this test: apt-get install -y chromium (.ci/run does)"
    return found


async def browse(url: str, *, screenshot: Path | None = None) -> str:
    """Open a URL in a fresh headless Chromium (following the login redirect); return the page's DOM."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={PHONE}"]
    flags += ["--no-first-run", "--disable-extensions", "--lang=zh-CN"]
    action = [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    process = await asyncio.create_subprocess_exec(
        chromium(), *flags, *action, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await asyncio.wait_for(process.communicate(), BROWSER_SECONDS)
    return out.decode()


async def link_path(chat: Chat) -> str:
    answer = await chat.say("看板")
    assert keys_of(answer) == ["dashboard.link"]
    found = LINK_PATH.search(str(answer[0].lines[0].params["link"]))
    assert found is not None
    return found.group(0)


async def test_a_leader_and_a_field_worker_log_in_from_chat_and_see_their_pages(database_url: str) -> None:
    harness = Harness.create(database_url, dashboard_secret=SECRET)
    await harness.app.start()
    server, task, base = await start_loopback(create_web_app(harness.app))
    try:
        await harness.bound_org_chats()
        leader = await harness.member("王宏武", "coordination", "leader")
        await raise_fever_alert(harness)  # 张伟, field staff of 朝阳社区, records a fever case
        staff = await harness.member("钱七", "screening", "staff", "chaoyang")
        harness.at("10:00")

        leader_dom = await browse(base + await link_path(leader))
        assert "疫情防控看板" in leader_dom and "全街道" in leader_dom and "距截止还有 5 小时 30 分" in leader_dom
        assert "张三" in leader_dom and leader_dom.count('class="spark"') == 4 and "已转诊" in leader_dom
        staff_dom = await browse(base + await link_path(staff))
        assert "朝阳社区" in staff_dom and "张三" not in staff_dom and "张*" in staff_dom
        assert 'id="figures"' not in staff_dom and 'id="referrals"' not in staff_dom
        forged = await browse(base + await link_path(staff) + "x")
        assert "登录链接无效" in forged and "张*" not in forged

        ARTIFACTS.mkdir(exist_ok=True)
        for name, chat in (("dashboard-leader.png", leader), ("dashboard-field-staff.png", staff)):
            shot = ARTIFACTS / name
            shot.unlink(missing_ok=True)
            await browse(base + await link_path(chat), screenshot=shot)
            assert shot.stat().st_size > 10_000, name
    finally:
        await stop_loopback(server, task)
        await harness.app.stop()
        harness.app.engine.dispose()
