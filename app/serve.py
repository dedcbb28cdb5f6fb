"""Run an instance on its configured platforms: adapters, the scheduler, Telegram polling or webhook, and HTTP.

Also the WeCom wiring that needs the database: the shared access-token cache, and creating and binding the
group chats a WeCom app posts to (a WeCom app never sees group messages, so ``/bind`` cannot happen there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import h11
import uvicorn
from lianfang.app.features import GROUP_COMMANDS, PRIVATE_COMMANDS
from lianfang.app.web import create_web_app
from lianfang.bot.config import Settings
from lianfang.bot.db import session_scope
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom.adapter import (
    TARGET_USER,
    CachedToken,
    WeComAdapter,
    appchat_chat_id,
    appchat_id,
    robot_chat_id,
    robot_key,
    target_of,
)
from lianfang.bot.runtime import App
from lianfang.bot.types import PLATFORM_WECOM, ChatRef, OutgoingMessage, Text
from lianfang.models.cards import card_users_since, record_card_use
from lianfang.models.members import CHAT_GROUP, CHAT_LEADERSHIP, bind_chat, find_identity
from lianfang.models.tokens import discard_token, load_token, store_token
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
HTTP_SHUTDOWN_SECONDS = 5.0
NOISY_LOGGERS = ("httpx", "httpcore")
"""httpx logs every request URL at INFO; Telegram's URLs contain the bot token, WeCom's the secret or access token."""
PURPOSE_LEADERSHIP = "leadership"
PURPOSE_GROUP_PREFIX = "group:"


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner (``serve``, or a test) so parts stop in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpConfig(uvicorn.Config):
    """A uvicorn config that also carries the deadline for a request's headers."""

    def __init__(self, app: Starlette, *, header_timeout: float, **options: Any) -> None:
        super().__init__(app, **options)
        self.header_timeout = header_timeout


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers.

    uvicorn times out idle kept-alive connections only; a client that connects and then sends nothing, or trickles
    its headers a byte at a time, would hold its connection (and a place under the concurrency limit) for ever.
    """

    def __init__(self, config: HttpConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout = config.header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the deadline for the first request's headers."""
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        """Take the bytes; start the deadline when a new request begins, stop it once its headers are complete."""
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline of a closed connection."""
        self._stop_deadline()
        super().connection_lost(exc)

    def _awaiting_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _watch_headers(self) -> None:
        if not self._awaiting_headers():
            self._stop_deadline()
        elif self._header_deadline is None and self.timeout_keep_alive_task is None:
            # an idle kept-alive connection is uvicorn's keep-alive timer's; a started request is ours
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._awaiting_headers():
            logger.debug("HTTP: headers not received within %s s; connection closed", self.header_timeout)
            self.transport.close()


def http_config(web: Starlette, settings: Settings) -> HttpConfig:
    """Return the uvicorn config of the HTTP app, with the read timeouts and limits of the settings."""
    config = HttpConfig(
        web,
        header_timeout=settings.http_header_timeout_seconds,
        lifespan="off",
        log_config=None,
        access_log=False,
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=settings.http_keep_alive_seconds,  # a float works: uvicorn passes it to call_later
        limit_concurrency=settings.http_max_connections,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
    )
    config.timeout_graceful_shutdown = HTTP_SHUTDOWN_SECONDS
    return config


async def serve(app: App) -> None:
    """Serve the configured platforms until SIGINT/SIGTERM or cancellation, then stop every part cleanly."""
    from lianfang.scheduler.service import start_scheduler, stop_scheduler

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    settings = app.settings
    telegram: TelegramAdapter | None = None
    if settings.telegram_enabled and settings.telegram_token is not None:
        telegram = TelegramAdapter(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_base_url)
        app.add_adapter(telegram)
    webhook = telegram is not None and bool(settings.telegram_webhook_url)
    wecom: WeComAdapter | None = None
    if settings.wecom_enabled:
        wecom = wecom_adapter(app)
        app.add_adapter(wecom)

    stop = asyncio.Event()
    handled = _on_signals(stop.set)
    tasks: list[asyncio.Task[None]] = []
    server: QuietServer | None = None
    scheduler = None
    try:
        if wecom is not None:
            await wecom.check_setup()  # a wrong secret or an untrusted IP stops here, not in every later send
        await app.start()
        scheduler = start_scheduler(app)
        if telegram is not None:
            await telegram.set_commands(PRIVATE_COMMANDS, GROUP_COMMANDS, default_lang=settings.default_language)
            if webhook:
                assert settings.telegram_webhook_url is not None and settings.telegram_webhook_secret is not None
                await telegram.set_webhook(
                    settings.telegram_webhook_url, settings.telegram_webhook_secret.get_secret_value()
                )
            else:
                tasks.append(asyncio.create_task(telegram.poll(), name="telegram-poll"))
        web = create_web_app(app, telegram if webhook else None, wecom=wecom)
        server = QuietServer(http_config(web, settings))
        listener = listen(settings.http_host, settings.http_port)
        tasks.append(asyncio.create_task(server.serve(sockets=[listener]), name="http"))
        logger.info("serving HTTP on %s:%s", settings.http_host, listener.getsockname()[1])
        await _until_stopped(stop, tasks)
    finally:
        for task in tasks:
            if task.get_name() != "http":
                task.cancel()
        if server is not None:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        if scheduler is not None:
            await stop_scheduler(app, scheduler)
        await app.stop()  # also after a failed start: closes whatever the adapters opened
        loop = asyncio.get_running_loop()
        for sig in handled:
            loop.remove_signal_handler(sig)
        logger.info("stopped")


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for a stop signal; a part that ends on its own first (a bad token, a crashed server) is an error."""
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    for task in done:
        if task is stopper:
            continue
        error = task.exception()
        if error is not None:
            raise error
        raise RuntimeError(f"{task.get_name()} stopped unexpectedly")
    logger.info("stop requested")


def _on_signals(callback: Callable[[], object]) -> list[signal.Signals]:
    """Call ``callback`` on SIGINT/SIGTERM where the loop supports it (the main thread on Unix)."""
    loop = asyncio.get_running_loop()
    handled = []
    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        handled.append(sig)
    return handled


def listen(host: str, port: int) -> socket.socket:
    """Bind the HTTP socket here so a busy port is an OSError with its address, not an exit from uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not create_server's 0: asyncio sets TCP_NODELAY on accepted connections only then, and
    # without it each kept-alive answer waits ~40 ms for the peer's delayed ACK.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen()
    return listener


# -- WeCom ------------------------------------------------------------------------------------------------


class DatabaseTokenStore:
    """Keep WeCom access tokens in the ``platformtoken`` table, so every instance on the database shares one."""

    def __init__(self, app: App) -> None:
        self.engine = app.engine

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token of an app, if any."""
        return await asyncio.to_thread(self._load, key)

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache an app's token."""
        await asyncio.to_thread(self._save, key, token)

    async def discard(self, key: str, token: str) -> None:
        """Forget a token WeCom refused, unless another instance replaced it already."""
        await asyncio.to_thread(self._discard, key, token)

    def _load(self, key: str) -> CachedToken | None:
        with session_scope(self.engine) as session:
            row = load_token(session=session, platform=PLATFORM_WECOM, key=key)
            return CachedToken(row.token, row.expires_at) if row is not None else None

    def _save(self, key: str, token: CachedToken) -> None:
        with session_scope(self.engine) as session:
            store_token(
                session=session,
                platform=PLATFORM_WECOM,
                key=key,
                token=token.token,
                expires_at=token.expires_at,
                now=datetime.now(UTC),
            )

    def _discard(self, key: str, token: str) -> None:
        with session_scope(self.engine) as session:
            discard_token(session=session, platform=PLATFORM_WECOM, key=key, token=token)


class DatabaseCardStore:
    """Keep members' last template-card taps in the ``carduse`` table, shared by every instance."""

    def __init__(self, app: App) -> None:
        self.engine = app.engine

    async def recent(self, users: Sequence[str], since: datetime) -> set[str]:
        """Return the members among ``users`` who tapped a card since then."""
        return await asyncio.to_thread(self._recent, users, since)

    async def record(self, user: str, at: datetime) -> None:
        """Note that a member tapped a card."""
        await asyncio.to_thread(self._record, user, at)

    def _recent(self, users: Sequence[str], since: datetime) -> set[str]:
        with session_scope(self.engine) as session:
            return card_users_since(session=session, platform=PLATFORM_WECOM, user_ids=users, since=since)

    def _record(self, user: str, at: datetime) -> None:
        with session_scope(self.engine) as session:
            record_card_use(session=session, platform=PLATFORM_WECOM, user_id=user, at=at)


def wecom_adapter(app: App, **options: Any) -> WeComAdapter:
    """Build the WeCom adapter from the settings, sharing tokens and card taps through the database.

    Commands are written as the Chinese words members type (``日报 无``), since WeCom users type, not tap.
    """
    options = {"card_uses": DatabaseCardStore(app), "words": app.dispatcher.in_words, **options}
    return WeComAdapter.from_settings(app.settings, tokens=DatabaseTokenStore(app), **options)


def bind_wecom_chat(app: App, *, chat_id: str, purpose: str, by: str | None = None) -> None:
    """Bind a WeCom group chat (``appchat:<chatid>`` or ``webhook:<key>``) to ``leadership`` or ``group:KEY``.

    ``by`` is the WeCom UserID of whoever asked for it (the chat's owner), recorded when that person is a
    member. ValueError says what is wrong with the purpose or the chat id.
    """
    kind, group_key = _purpose(app, purpose)
    target, address = target_of(chat_id)
    if target == TARGET_USER or not address:
        raise ValueError("a WeCom group chat id starts with appchat: or webhook:")
    with session_scope(app.engine) as session:
        identity = find_identity(session=session, platform=PLATFORM_WECOM, user_id=by) if by else None
        bind_chat(
            session=session,
            platform=PLATFORM_WECOM,
            chat_id=chat_id,
            kind=kind,
            group_key=group_key,
            # bound_by is nullable: a chat bound from the command line may have been asked for by no member
            member_id=identity.member_id if identity is not None else None,
            now=app.clock(),
        )
    logger.info("wecom: %s chat bound as %s", target, purpose)


async def create_wecom_chat(
    app: App, *, name: str, owner: str, members: Sequence[str], purpose: str | None = None
) -> str:
    """Create a WeCom group chat of the app (``lianfang wecom create-chat``), bind it if asked, return its chatid.

    The purpose is checked before the chat is created, so a typo does not leave an unbound chat behind.
    """
    if purpose is not None:
        _purpose(app, purpose)
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
    _purpose(app, purpose)
    lang = app.settings.default_language
    test = OutgoingMessage(ChatRef(PLATFORM_WECOM, chat_id), (Text("wecom.bind_test", {"purpose": purpose}),), lang)
    adapter = wecom_adapter(app)
    try:
        await adapter.send(test)
    finally:
        await adapter.stop()
    await asyncio.to_thread(bind_wecom_chat, app, chat_id=chat_id, purpose=purpose)
    return chat_id


def _purpose(app: App, purpose: str) -> tuple[str, str]:
    """Read ``leadership`` or ``group:KEY`` (a working group of the org) as a binding's kind and group key."""
    if purpose == PURPOSE_LEADERSHIP:
        return CHAT_LEADERSHIP, ""
    group_key = purpose.removeprefix(PURPOSE_GROUP_PREFIX) if purpose.startswith(PURPOSE_GROUP_PREFIX) else ""
    if app.org.group(group_key) is None:
        keys = ", ".join(f"group:{group.key}" for group in app.org.groups)
        raise ValueError(f"bind to {PURPOSE_LEADERSHIP} or one of: {keys}")
    return CHAT_GROUP, group_key
