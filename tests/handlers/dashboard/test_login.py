"""Logging in: /dashboard (看板) sends a one-time link; the link sets a session; every refusal gets its own page."""

from __future__ import annotations

import pytest
from lianfang.bot.config import Settings
from lianfang.bot.db import session_scope
from lianfang.handlers.dashboard.login import session_token, signer_of
from lianfang.models.audit import AuditEntry
from lianfang.models.members import Member
from pydantic import ValidationError
from sqlmodel import select

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.dashboard.conftest import browser, logged_in, login_link


async def test_a_link_logs_in_once_and_the_session_shows_the_page(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    answer = await leader.say("/dashboard")
    assert keys_of(answer) == ["dashboard.link"] and "15 分钟内有效，只能用一次" in texts_of(answer)
    link = await login_link(leader)
    async with browser(harness) as http:
        first = await http.get(link)
        assert first.status_code == 303 and first.headers["location"] == "/dashboard"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "Path=/dashboard" in cookie
        page = await http.get("/dashboard")
        assert page.status_code == 200 and "疫情防控看板" in page.text and "全街道" in page.text
        assert '<meta http-equiv="refresh" content="60">' in page.text
        again = await http.get(link)
        assert again.status_code == 410 and "登录链接已经用过" in again.text
        assert "/dashboard" in again.text and "Traceback" not in again.text


async def test_an_expired_link_a_forged_one_and_a_missing_one_are_refused(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    link = await login_link(staff)
    harness.advance(minutes=16)
    async with browser(harness) as http:
        expired = await http.get(link)
        assert expired.status_code == 410 and "登录链接已过期" in expired.text
        fresh = await login_link(staff)
        forged = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
        for bad in (
            forged,
            "/dashboard/login?token=garbage",
            "/dashboard/login",
            "/dashboard/login?token=" + "x" * 5000,
        ):
            answer = await http.get(bad)
            assert answer.status_code == 403 and "登录链接无效" in answer.text, bad
        assert (await http.get(fresh)).status_code == 303  # the fresh link itself still works


async def test_no_cookie_a_forged_cookie_and_an_old_session_get_the_login_page(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    async with browser(harness) as http:
        missing = await http.get("/dashboard")
        assert missing.status_code == 401 and "尚未登录" in missing.text and "王宏武" not in missing.text
        http.cookies.set("lianfang_dashboard", "forged.value", domain="board.test", path="/dashboard")
        assert (await http.get("/dashboard")).status_code == 403
    signer = signer_of(harness.app.settings)
    assert signer is not None
    # a login token is not a session: the purposes differ
    login = (await login_link(leader)).split("token=")[1]
    async with browser(harness) as http:
        http.cookies.set("lianfang_dashboard", login, domain="board.test", path="/dashboard")
        assert (await http.get("/dashboard")).status_code == 403
    async with logged_in(harness, leader) as http:
        harness.advance(hours=11, minutes=59)
        assert (await http.get("/dashboard")).status_code == 200
        harness.advance(minutes=2)
        assert (await http.get("/dashboard")).status_code == 401
    assert session_token(signer, 1, harness.clock(), 1).count(".") == 1


async def test_posts_bad_days_and_future_days_get_a_clear_page(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    async with logged_in(harness, leader) as http:
        post = await http.post("/dashboard", data={"x": "1"})
        assert post.status_code == 405 and "看板只能查看" in post.text
        assert (await http.post("/dashboard/login")).status_code == 405
        for bad in ("2020-13-01", "yesterday", "2020-01-28'--", "9" * 200):
            answer = await http.get("/dashboard", params={"day": bad})
            assert answer.status_code == 400 and "日期格式不对" in answer.text, bad
        future = await http.get("/dashboard", params={"day": "2020-01-29"})
        assert future.status_code == 400 and "不能查看未来的日期" in future.text
        empty = await http.get("/dashboard", params={"day": "2019-12-01"})
        assert empty.status_code == 200 and "这一天还没有数据" in empty.text


async def test_strangers_groups_and_departed_members_get_nothing(harness: Harness) -> None:
    stranger = harness.private("路人")
    assert keys_of(await stranger.say("/dashboard")) == ["common.stranger"]
    _admin, leadership, _coordination = await harness.bound_org_chats()
    assert keys_of(await leadership.say("/dashboard")) == ["common.private_only"]
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    async with logged_in(harness, staff) as http:
        with session_scope(harness.app.engine) as session:
            member = session.exec(select(Member).where(Member.name == "张伟")).one()
            member.active = False
        gone = await http.get("/dashboard")
        assert gone.status_code == 403 and "您已不是成员" in gone.text


async def test_without_a_secret_the_dashboard_is_off(database_url: str) -> None:
    harness = Harness.create(database_url)
    try:
        leader = await harness.member("王宏武", "coordination", "leader")
        assert keys_of(await leader.say("看板")) == ["dashboard.off"]
        async with browser(harness) as http:
            answer = await http.get("/dashboard")
            assert answer.status_code == 404 and "本机未开启看板" in answer.text
    finally:
        harness.app.engine.dispose()


def test_a_placeholder_secret_and_a_bad_address_are_refused() -> None:
    with pytest.raises(ValidationError, match="DASHBOARD_SECRET"):
        Settings(_env_file=None, dashboard_secret="changeme")
    with pytest.raises(ValidationError, match="http"):
        Settings(_env_file=None, public_base_url="board.test")
    settings = Settings(_env_file=None, http_host="10.0.0.5", http_port=8081)
    assert settings.base_url() == "http://10.0.0.5:8081"
    assert Settings(_env_file=None, public_base_url="https://x.test/").base_url() == "https://x.test"


async def test_logging_out_ends_the_session_on_the_server_and_is_audited(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    async with logged_in(harness, leader) as http:
        page = await http.get("/dashboard")
        assert 'action="/dashboard/logout"' in page.text and "退出登录" in page.text
        copied = http.cookies.get("lianfang_dashboard")
        assert copied
        assert (await http.get("/dashboard/logout")).status_code == 405  # a link prefetch cannot log anyone out
        out = await http.post("/dashboard/logout")
        assert out.status_code == 200 and "已退出看板" in out.text and "/dashboard" in out.text
        assert 'lianfang_dashboard=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
        assert (await http.get("/dashboard")).status_code == 401  # the browser forgot it
    async with browser(harness) as replay:
        # a copy of the cookie taken before logging out is dead on the server, long before it expires
        replay.cookies.set("lianfang_dashboard", copied, domain="board.test", path="/dashboard")
        again = await replay.get("/dashboard")
        assert again.status_code == 401 and "您已退出看板" in again.text and "王宏武" not in again.text
        assert (await replay.post("/dashboard/logout")).status_code == 200  # logging out twice is harmless
        assert (await replay.post("/dashboard/logout")).status_code == 200  # and so is without a session at all
    with session_scope(harness.app.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.channel == "web").order_by(AuditEntry.id)).all()
    assert [(e.actor, e.action) for e in entries] == [("王宏武", "login"), ("王宏武", "logout")]
    async with logged_in(harness, leader) as http:  # a new link opens a new session
        assert (await http.get("/dashboard")).status_code == 200


async def test_the_page_brings_its_own_chinese_font_for_browsers_without_one(harness: Harness) -> None:
    async with browser(harness) as http:  # no login needed: a font holds no data
        font = await http.get("/dashboard/font.otf")
        assert font.status_code == 200 and font.headers["content-type"] == "font/otf"
        assert font.content[:4] == b"OTTO" and len(font.content) > 500_000
        assert (await http.post("/dashboard/font.otf")).status_code == 405
    leader = await harness.member("王宏武", "coordination", "leader")
    async with logged_in(harness, leader) as http:
        assert 'url("/dashboard/font.otf")' in (await http.get("/dashboard")).text
