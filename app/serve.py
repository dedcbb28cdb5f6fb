"""Run an instance on its configured platforms: their adapters and run hooks, the scheduler, and HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from typing import Any

import h11
import uvicorn
from lianfang.app.features import GROUP_COMMANDS, MENU, PRIVATE_COMMANDS
from lianfang.app.platforms import configured
from lianfang.app.web import create_metrics_app, create_web_app
from lianfang.bot.config import Settings
from lianfang.bot.platform import Menus
from lianfang.bot.runtime import App
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
HTTP_SHUTDOWN_SECONDS = 5
NOISY_LOGGERS = ("httpx", "httpcore")
"""httpx logs every request URL at INFO; Telegram's URLs contain the bot token, WeCom's the secret or access token."""


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
        limit_concurrency=settings.http_max_connections,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
    )
    # uvicorn types this as int, but a float works: it is only passed to call_later
    config.timeout_keep_alive = settings.http_keep_alive_seconds  # type: ignore[assignment]
    config.timeout_graceful_shutdown = HTTP_SHUTDOWN_SECONDS
    return config


async def serve(app: App) -> None:
    """Serve the configured platforms until SIGINT/SIGTERM or cancellation, then stop every part cleanly."""
    from lianfang.scheduler.service import start_scheduler, stop_scheduler

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    settings = app.settings
    served = [(platform, platform.build(app)) for platform in configured(settings)]
    adapters = [(platform, adapter) for platform, adapter in served if adapter is not None]
    for _, adapter in adapters:
        app.add_adapter(adapter)

    stop = asyncio.Event()
    handled = _on_signals(stop.set)
    tasks: list[asyncio.Task[None]] = []
    server: QuietServer | None = None
    metrics: QuietServer | None = None
    scheduler = None
    try:
        for platform, adapter in adapters:
            await platform.check(adapter, app)
        await app.start()
        scheduler = start_scheduler(app)
        menus = Menus(private=PRIVATE_COMMANDS, group=GROUP_COMMANDS, labels=MENU.labels())
        for platform, adapter in adapters:
            tasks.extend(await platform.run(adapter, app, menus))
        web = create_web_app(app, *(adapter for platform, adapter in adapters if platform.over_http(settings)))
        server = QuietServer(http_config(web, settings))
        listener = listen(settings.http_host, settings.http_port)
        tasks.append(asyncio.create_task(server.serve(sockets=[listener]), name="http"))
        logger.info("serving HTTP on %s:%s", settings.http_host, listener.getsockname()[1])
        if settings.metrics_port is not None:
            metrics = QuietServer(http_config(create_metrics_app(app), settings))
            tasks.append(
                asyncio.create_task(metrics.serve(sockets=[listen(settings.http_host, settings.metrics_port)]))
            )
        await _until_stopped(stop, tasks)
    finally:
        for task in tasks:
            if task.get_name() != "http":
                task.cancel()
        if server is not None:
            server.should_exit = True
        if metrics is not None:
            metrics.should_exit = True
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
