"""WeCom setup: ``lianfang wecom ...`` binding chats and robots, creating chats, refusing a wrong secret."""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest
from lianfang.bot.db import make_engine
from lianfang.bot.platforms.wecom import bind_wecom_chat, create_wecom_chat, wecom_adapter
from lianfang.bot.platforms.wecom.chats import appchat_chat_id, appchat_id, robot_chat_id, robot_key
from lianfang.bot.platforms.wecom.setup import create_app_chat
from lianfang.models.members import ChatBinding
from sqlmodel import Session, select

from tests.environment import process_environment
from tests.fake_wecom import MESSAGE_SEND, FakeWeCom, message_text
from tests.fakes import Harness
from tests.paths import ROOT
from tests.platforms.wecom.support import LEADER, SETTINGS


async def test_create_chat_and_media_upload(database_url: str, fake_wecom: FakeWeCom) -> None:
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)
    try:
        chatid = await create_app_chat(harness.app.settings, "综合组", LEADER, ["WangJun"])
        assert fake_wecom.chats[chatid] == {"name": "综合组", "owner": LEADER, "users": [LEADER, "WangJun"]}
        with pytest.raises(ValueError, match="members"):
            await create_app_chat(harness.app.settings, "一人群", LEADER, [])
        with pytest.raises(ValueError, match="group:coordination"):
            await create_wecom_chat(harness.app, name="x", owner=LEADER, members=["WangJun"], purpose="group:nope")
        assert len(fake_wecom.chats) == 1  # the purpose is checked before the chat is created
        with pytest.raises(ValueError, match="appchat:"):
            bind_wecom_chat(harness.app, chat_id=LEADER, purpose="leadership")

        adapter = wecom_adapter(harness.app)
        media_id = await adapter.upload_media("file", "日报.txt", "今日无新情况".encode())
        await adapter.stop()
        assert fake_wecom.media[media_id] == ("日报.txt", "今日无新情况".encode())
    finally:
        harness.app.engine.dispose()


CLI_SECONDS = 60.0


ROBOT_KEY = "693a91f6-7e2b-4bc4-97a0-0ec2f1a5b6c7"


async def lianfang(database_url: str, fake: FakeWeCom, cwd: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run the real ``lianfang`` command against the fake WeCom API; return its exit code, stdout and stderr."""
    environment = process_environment()
    environment.update({f"LIANFANG_{name.upper()}": str(value) for name, value in SETTINGS.items()})
    environment.update(
        PYTHONPATH=str(ROOT),
        LIANFANG_DATABASE_URL=database_url,
        LIANFANG_WECOM_API_BASE_URL=fake.url,
        LIANFANG_HTTP_PORT="0",
    )
    environment.update(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lianfang.app.cli", *args, env=environment, cwd=cwd, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), CLI_SECONDS)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def bound_chats(database_url: str) -> dict[str, str]:
    """Return the WeCom chats bound so far, chat id to kind."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return {row.chat_id: row.kind for row in session.exec(select(ChatBinding)).all()}
    finally:
        engine.dispose()


async def test_run_exits_2_on_a_wrong_secret_and_names_the_ip_to_trust(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, "run", LIANFANG_WECOM_SECRET="wrong-secret-2020")
    assert code == 2, err
    assert "LIANFANG_WECOM_SECRET" in err and "40001" in err and "Traceback" not in err
    assert "ERROR lianfang.bot.platforms.wecom" in err  # logged at WARNING or above, whatever the log level

    fake_wecom.trusted_ips = {"203.0.113.7"}  # the app trusts another server
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, "--log-level", "WARNING", "run")
    assert code == 2, err
    assert "add 127.0.0.1 to the app's 企业可信IP" in err and "Traceback" not in err
    assert not fake_wecom.calls_to(MESSAGE_SEND)


async def test_bind_robot_takes_the_webhook_url_and_binds_only_after_a_test_message(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    fake_wecom.add_robot(ROBOT_KEY)
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"
    bind = ("wecom", "bind-robot", "--bind", "group:screening", "--key")

    for wrong in ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "https://example.com/hook?key=" + ROBOT_KEY):
        with pytest.raises(ValueError, match="webhook"):
            robot_key(wrong)
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "appchat:wrFakeChat000001")
    assert (code, out) == (2, "") and "bind-chat" in err and "Traceback" not in err
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "0ec2f1a5-gone-robot-key")
    assert code == 2 and "93000" in err and "nothing bound" in err
    assert bound_chats(database_url) == {}

    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, url)
    assert code == 0 and out.startswith("OK"), err
    [test] = fake_wecom.robot_sent(ROBOT_KEY)
    assert test["text"]["content"] == "联防机器人测试消息：本群已绑定为 group:screening。"
    assert bound_chats(database_url) == {robot_chat_id(ROBOT_KEY): "group"}


async def test_bind_chat_binds_an_app_chat_created_without_bind(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    create = ("wecom", "create-chat", "--name", "领导小组", "--members", f"{LEADER},WangJun")
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *create)
    assert code == 0, err
    chatid = out.strip()
    assert bound_chats(database_url) == {}

    bind = ("wecom", "bind-chat", "--bind", "leadership")
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "wrNoSuchChat")
    assert code == 2 and "86003" in err and bound_chats(database_url) == {}
    with pytest.raises(ValueError, match="bind-robot"):
        appchat_id(f"webhook:{ROBOT_KEY}")

    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, chatid)
    assert code == 0, err
    assert "本群已绑定为 leadership" in message_text(fake_wecom.chat_sent(chatid)[-1])
    assert bound_chats(database_url) == {appchat_chat_id(chatid): "leadership"}
