"""Run an instance on its configured platforms: adapters, the scheduler, Telegram polling or webhook, and HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator

import uvicorn

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.web import create_web_app

logger = logging.getLogger(__name__)

PRIVATE_COMMANDS = ("start", "help", "join", "check", "supply", "daily", "report", "bind", "lang", "cancel")
"""The command menu in private chats, in menu order; each has a ``menu.<command>`` locale key."""
GROUP_COMMANDS = ("bind", "report", "help")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
HTTP_SHUTDOWN_SECONDS = 5.0
NOISY_LOGGERS = ("httpx", "httpcore")
"""httpx logs every request URL at INFO, and Telegram's URLs contain the bot token."""


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to ``serve`` so every part stops in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: App) -> None:
    """Serve the configured platforms until SIGINT/SIGTERM or cancellation, then stop every part cleanly."""
    from scheduler.service import start_scheduler

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    settings = app.settings
    telegram: TelegramAdapter | None = None
    if settings.telegram_enabled and settings.telegram_token is not None:
        telegram = TelegramAdapter(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_base_url)
        app.add_adapter(telegram)
    webhook = telegram is not None and bool(settings.telegram_webhook_url)

    stop = asyncio.Event()
    handled = _on_signals(stop.set)
    tasks: list[asyncio.Task[None]] = []
    server: _Server | None = None
    scheduler = None
    try:
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
        web = create_web_app(app, telegram if webhook else None)
        config = uvicorn.Config(web, lifespan="off", log_config=None, access_log=False)
        config.timeout_graceful_shutdown = HTTP_SHUTDOWN_SECONDS
        server = _Server(config)
        listener = _listen(settings.http_host, settings.http_port)
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
            scheduler.shutdown(wait=False)
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


def _listen(host: str, port: int) -> socket.socket:
    """Bind the HTTP socket here so a busy port is an OSError with its address, not an exit from uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)
