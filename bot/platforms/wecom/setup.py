"""WeCom setup: the ``lianfang wecom ...`` commands, and creating and binding the group chats the app posts to.

A WeCom app never sees group messages, so ``/bind`` cannot happen there: its group chats (created by the app) and
group robots are bound from the command line, each only once a test message reached it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from lianfang.bot.chat_purpose import bind_for_purpose, purpose_of
from lianfang.bot.inbox import DatabaseInboxStore
from lianfang.bot.platform import settings_of
from lianfang.bot.platform_stores import DatabaseCardStore, DatabaseTokenStore
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import ApiError, ApiUnreachable
from lianfang.bot.platforms.wecom.chats import (
    TARGET_USER,
    appchat_chat_id,
    appchat_id,
    robot_chat_id,
    robot_key,
    target_of,
)
from lianfang.bot.platforms.wecom.settings import WeComSettings
from lianfang.bot.platforms.wecom.tokens import TokenStore
from lianfang.bot.ports import SendError
from lianfang.bot.recipient_pace import pace_ledger
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.bot.types import PLATFORM_WECOM, ChatRef, OutgoingMessage, Text

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

logger = logging.getLogger(__name__)


def wecom_adapter(app: App, **options: Any) -> WeComAdapter:
    """Build the WeCom adapter from the settings, sharing tokens, card taps and members' pace through the database.

    Commands are written as the Chinese words members type (``日报 无``), since WeCom users type, not tap.
    """
    inbox = DatabaseInboxStore.of(app, PLATFORM_WECOM)
    options = {
        "card_uses": DatabaseCardStore(app.engine, PLATFORM_WECOM),
        "paces": pace_ledger(app.engine, PLATFORM_WECOM),
        "words": app.dispatcher.in_words,
        "inbox": inbox,
        **options,
    }
    tokens = DatabaseTokenStore(app.engine, PLATFORM_WECOM)
    return WeComAdapter.from_settings(settings_of(app, WeComSettings), tokens=tokens, **options)


def bind_wecom_chat(app: App, *, chat_id: str, purpose: str, by: str | None = None) -> None:
    """Bind a WeCom group chat (``appchat:<chatid>`` or ``webhook:<key>``) to ``leadership`` or ``group:KEY``.

    ``by`` is the WeCom UserID of whoever asked for it (the chat's owner), recorded when that person is a
    member. ValueError says what is wrong with the purpose or the chat id.
    """
    purpose_of(app.org, purpose)
    target, address = target_of(chat_id)
    if target == TARGET_USER or not address:
        raise ValueError("a WeCom group chat id starts with appchat: or webhook:")
    bind_for_purpose(
        app.engine, app.org, platform=PLATFORM_WECOM, chat_id=chat_id, purpose=purpose, by=by, now=app.clock()
    )
    logger.info("wecom: %s chat bound as %s", target, purpose)


async def create_wecom_chat(
    app: App, *, name: str, owner: str, members: Sequence[str], purpose: str | None = None
) -> str:
    """Create a WeCom group chat of the app (``lianfang wecom create-chat``), bind it if asked, return its chatid.

    The purpose is checked before the chat is created, so a typo does not leave an unbound chat behind.
    """
    if purpose is not None:
        purpose_of(app.org, purpose)
    adapter = wecom_adapter(app)
    try:
        chatid = await adapter.create_app_chat(name, owner, members)
    finally:
        await adapter.stop()
    if purpose is not None:
        await asyncio.to_thread(bind_wecom_chat, app, chat_id=appchat_chat_id(chatid), purpose=purpose, by=owner)
    return chatid


async def bind_tested_wecom_chat(app: App, *, chat: str, purpose: str, robot: bool) -> str:
    """Post a test message to a group robot (``robot``) or an app group chat, and bind it only if it arrives.

    ``chat`` is the robot's webhook URL or key, or the app chat's chatid. Returns the bound chat id; ValueError
    says what is wrong with the input, SendError why WeCom did not take the test message.
    """
    chat_id = robot_chat_id(robot_key(chat)) if robot else appchat_chat_id(appchat_id(chat))
    purpose_of(app.org, purpose)
    lang = app.settings.default_language
    test = OutgoingMessage(ChatRef(PLATFORM_WECOM, chat_id), (Text("wecom.bind_test", {"purpose": purpose}),), lang)
    adapter = wecom_adapter(app)
    try:
        await adapter.send(test)
    finally:
        await adapter.stop()
    await asyncio.to_thread(bind_wecom_chat, app, chat_id=chat_id, purpose=purpose)
    return chat_id


def build_wecom(app: App) -> WeComAdapter | None:
    """Build the WeCom adapter when WeCom is configured (``LIANFANG_WECOM_CORP_ID``), else None."""
    return wecom_adapter(app) if settings_of(app, WeComSettings).wecom_enabled else None


async def check_wecom(wecom: WeComAdapter, _app: App) -> None:
    """Check the app's credentials and this server's address before anything starts."""
    await wecom.check_setup()  # a wrong secret or an untrusted IP stops here, not in every later send


async def create_app_chat(
    settings: WeComSettings, name: str, owner: str, members: Sequence[str], *, tokens: TokenStore | None = None
) -> str:
    """Create a WeCom group chat of the configured app and return its chatid, binding nothing."""
    adapter = WeComAdapter.from_settings(settings, tokens=tokens)
    try:
        return await adapter.create_app_chat(name, owner, members)
    finally:
        await adapter.stop()


# -- the command line ---------------------------------------------------------------------------------------


def add_wecom_commands(commands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``lianfang wecom create-chat | bind-robot | bind-chat``."""
    wecom = commands.add_parser("wecom", help="WeChat Work setup").add_subparsers(dest="wecom_command", required=True)
    chat = wecom.add_parser("create-chat", help="create a group chat of the app and bind it")
    chat.add_argument("--name", required=True, help="the chat's name, e.g. 领导小组")
    chat.add_argument("--members", required=True, help="WeCom UserIDs, comma-separated (2 to 500)")
    chat.add_argument("--owner", help="the chat owner's UserID (default: the first member)")
    chat.add_argument("--bind", help="leadership, or group:KEY")
    chat.set_defaults(func=partial(cmd_wecom_create_chat, runtime=runtime))
    robot = wecom.add_parser("bind-robot", help="bind a group robot to a purpose, after a test message")
    robot.add_argument("--key", required=True, help="the robot's webhook address as WeCom shows it, or its key")
    robot.add_argument("--bind", required=True, help="leadership, or group:KEY")
    robot.set_defaults(func=partial(cmd_wecom_bind_robot, runtime=runtime))
    bound = wecom.add_parser("bind-chat", help="bind a group chat of the app to a purpose, after a test message")
    bound.add_argument("chatid", help="the chat id `wecom create-chat` printed")
    bound.add_argument("--bind", required=True, help="leadership, or group:KEY")
    bound.set_defaults(func=partial(cmd_wecom_bind_chat, runtime=runtime))


def cmd_wecom_create_chat(args: argparse.Namespace, runtime: CliRuntime) -> int:
    """Create a WeCom group chat of the app, bind it if asked, and print its chat id."""
    app = runtime.app()
    members = [member.strip() for member in args.members.split(",") if member.strip()]
    owner = args.owner or (members[0] if members else "")
    try:
        chat_id = asyncio.run(create_wecom_chat(app, name=args.name, owner=owner, members=members, purpose=args.bind))
    except ValueError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_INVALID
    except (ApiError, ApiUnreachable) as error:
        print(f"lianfang: WeCom: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(chat_id)
    return EXIT_OK


def cmd_wecom_bind_robot(args: argparse.Namespace, runtime: CliRuntime) -> int:
    """Bind a WeCom group robot (its webhook URL or key) to a purpose, once a test message reached the group."""
    return _bind_tested(runtime.app(), args.key, args.bind, robot=True)


def cmd_wecom_bind_chat(args: argparse.Namespace, runtime: CliRuntime) -> int:
    """Bind a group chat of the app (created earlier) to a purpose, once a test message reached it."""
    return _bind_tested(runtime.app(), args.chatid, args.bind, robot=False)


def _bind_tested(app: App, chat: str, purpose: str, *, robot: bool) -> int:
    try:
        chat_id = asyncio.run(bind_tested_wecom_chat(app, chat=chat, purpose=purpose, robot=robot))
    except ValueError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_INVALID
    except SendError as error:
        print(f"lianfang: the test message did not arrive, nothing bound: WeCom: {error.reason}", file=sys.stderr)
        return EXIT_INVALID if error.permanent else EXIT_ERROR
    print(f"OK {chat_id.split(':', 1)[0]} bound as {purpose}")
    return EXIT_OK
