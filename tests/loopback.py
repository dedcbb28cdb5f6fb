"""Serve an in-repo fake platform API on 127.0.0.1 with a random port, in the test's event loop."""

from __future__ import annotations

import asyncio

import uvicorn
from lianfang.app.serve import QuietServer, listen
from starlette.applications import Starlette

SHUTDOWN_SECONDS = 1
READY_POLL_SECONDS = 0.01


async def start_loopback(asgi: Starlette) -> tuple[QuietServer, asyncio.Task[None], str]:
    """Start serving ``asgi``; return the server, its task and its base URL once it accepts connections."""
    listener = listen("127.0.0.1", 0)
    config = uvicorn.Config(asgi, lifespan="off", log_config=None, access_log=False)
    config.timeout_graceful_shutdown = SHUTDOWN_SECONDS
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(READY_POLL_SECONDS)
    return server, task, f"http://127.0.0.1:{listener.getsockname()[1]}"


async def stop_loopback(server: QuietServer, task: asyncio.Task[None]) -> None:
    """Stop a server started by ``start_loopback`` and wait for it to finish."""
    server.should_exit = True
    await task
