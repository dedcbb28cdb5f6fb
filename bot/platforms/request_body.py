"""A platform's HTTP request body, read within a size and a time limit."""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

logger = logging.getLogger(__name__)

CLOSE_HEADERS = {"Connection": "close"}
"""Sent with a refused body, so the server drops the connection instead of reading the rest of the upload."""


async def bounded_body(request: Request, limit: int, seconds: float) -> bytes | Response:
    """Read the request body as it arrives; answer 413 past ``limit`` bytes, 408 when it takes over ``seconds``.

    The stream is read chunk by chunk, so a chunked upload without a Content-Length costs at most ``limit`` bytes.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, headers=CLOSE_HEADERS)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    logger.warning("%s: body over %s bytes refused", request.url.path, limit)
                    return Response(status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, headers=CLOSE_HEADERS)
                chunks.append(chunk)
    except TimeoutError:
        logger.warning("%s: body not received within %s s; refused", request.url.path, seconds)
        return Response(status_code=HTTPStatus.REQUEST_TIMEOUT, headers=CLOSE_HEADERS)
    except ClientDisconnect:
        return Response(status_code=HTTPStatus.BAD_REQUEST, headers=CLOSE_HEADERS)
    return b"".join(chunks)
