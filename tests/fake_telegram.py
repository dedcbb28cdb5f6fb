"""A fake Telegram Bot API server on loopback: records calls, serves queued updates, injects errors.

Answers have the real API's shapes (``{"ok": true, "result": ...}`` and ``{"ok": false, "error_code": ...,
"description": ..., "parameters": ...}``). PTB sends parameters as form fields with JSON-encoded values.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import html
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.loopback import start_loopback, stop_loopback

BOT_ID = 7000001
BOT_USERNAME = "lianfang_test_bot"
TOKEN = f"{BOT_ID}:AAE-fake-token-for-tests"
MAX_POLL_SECONDS = 1.0
"""Long polls are cut short so tests never wait for the 30 s a real server would hold them."""
FIRST_UPDATE_ID = 500_000

TOO_MANY_REQUESTS = 429
FORBIDDEN = 403
BAD_REQUEST = 400
NOT_FOUND = 404
UNAUTHORIZED = 401
CONFLICT = 409
BLOCKED = "Forbidden: bot was blocked by the user"
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
KICKED = "Forbidden: bot was kicked from the supergroup chat"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"

JSON_FIELDS = frozenset({"reply_markup", "commands", "scope", "allowed_updates", "link_preview_options", "entities"})
INT_FIELDS = frozenset({"offset", "limit", "timeout", "message_id", "max_connections"})
TAG = re.compile(r"<[^>]+>")
MULTIPART = "multipart/form-data"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""The Bot API's limit on files a bot downloads; getFile refuses larger ones."""
FILE_TOO_BIG = "Bad Request: file is too big"


@dataclass(frozen=True)
class StoredFile:
    """A file a user sent, as the fake serves it through getFile and the file path."""

    file_id: str
    file_path: str
    data: bytes
    size: int


@dataclass(frozen=True)
class Upload:
    """A document the bot uploaded with sendDocument."""

    chat_id: str
    file_name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method and its decoded parameters."""

    method: str
    params: dict[str, Any]


@dataclass
class StoredMessage:
    """A message the bot sent, as the fake keeps it for edits and taps."""

    chat_id: str
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None


@dataclass
class Failure:
    """An error answer to give instead of the real one."""

    code: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None


def user(user_id: int, name: str = "张伟", language_code: str | None = "zh-hans") -> dict[str, Any]:
    """Return a Telegram User object."""
    first, _, last = name.partition(" ")
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
    if last:
        data["last_name"] = last
    if language_code:
        data["language_code"] = language_code
    return data


def chat(chat_id: int, title: str = "联防工作群") -> dict[str, Any]:
    """Return a Chat object: private for positive ids, a supergroup for negative ones."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "张伟"}
    return {"id": chat_id, "type": "supergroup", "title": title}


@dataclass
class FakeTelegram:
    """The fake Bot API: start it, point a TelegramAdapter at ``url``, then queue updates and read ``calls``."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[str, int], StoredMessage] = field(default_factory=dict)
    failures: dict[str, deque[Failure | None]] = field(default_factory=dict)
    """Per method, what to answer the next calls with: an error, or None for the normal answer."""
    chat_failures: dict[str, Failure] = field(default_factory=dict)
    callback_ids: set[str] = field(default_factory=set)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    delivered_at: list[float] = field(default_factory=list)
    """When each of ``delivered`` arrived, on the monotonic clock."""
    confirmed: int = 0
    """Updates below this id were confirmed by a getUpdates offset and are gone."""
    webhook_url: str = ""
    url: str = ""
    files: dict[str, StoredFile] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    """File paths the bot downloaded."""
    _update_ids: Iterator[int] = field(default_factory=lambda: count(FIRST_UPDATE_ID))
    _message_ids: Iterator[int] = field(default_factory=lambda: count(1))
    _callback_ids: Iterator[int] = field(default_factory=lambda: count(9_000_000))
    _arrived: asyncio.Event | None = None
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    # -- server ---------------------------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        """Return the Starlette app answering ``/bot<token>/<method>``."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    async def start(self) -> None:
        """Serve on 127.0.0.1 with a random port, in this event loop."""
        self._arrived = asyncio.Event()
        self._server, self._task, self.url = await start_loopback(self.asgi())

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None and self._task is not None:
            if self._arrived is not None:
                self._arrived.set()  # wake a long poll so the server can stop
            await stop_loopback(self._server, self._task)

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(Failure(UNAUTHORIZED, "Unauthorized"))
        method = request.path_params["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        failure = self._failure(method, params)
        if failure is not None:
            return _error(failure)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(Failure(NOT_FOUND, "Not Found"))
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Failure):
            return _error(result)
        return JSONResponse({"ok": True, "result": result})

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(Failure(UNAUTHORIZED, "Unauthorized"))
        path = request.path_params["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return _error(Failure(NOT_FOUND, "Not Found"))
        self.downloads.append(path)
        return Response(stored.data, media_type="application/octet-stream")

    def _failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        queued = self.failures.get(method)
        if queued:
            return queued.popleft()
        chat_id = params.get("chat_id")
        if method.startswith("send") and chat_id is not None:
            return self.chat_failures.get(str(chat_id))
        return None

    # -- Bot API methods ------------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "联防助手",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    def _api_setMyCommands(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url", ""))
        return True

    def _api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]] | Failure:
        if self.webhook_url:
            return Failure(CONFLICT, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        if offset:
            self.confirmed = max(self.confirmed, int(offset))
            self.updates = [u for u in self.updates if u["update_id"] >= self.confirmed]
        wait = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        deadline = time.monotonic() + wait
        assert self._arrived is not None
        while not self.updates and time.monotonic() < deadline and not self._stopping:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), max(0.0, deadline - time.monotonic()))
        return list(self.updates[: int(params.get("limit") or 100)])

    @property
    def _stopping(self) -> bool:
        return self._server is not None and self._server.should_exit

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params["chat_id"])
        stored = StoredMessage(chat_id, next(self._message_ids), str(params["text"]), params.get("reply_markup"))
        self.messages[(chat_id, stored.message_id)] = stored
        self.delivered.append({**params, "chat_id": chat_id, "message_id": stored.message_id})
        self.delivered_at.append(time.monotonic())
        return self._message_json(stored)

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any] | Failure:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            return Failure(BAD_REQUEST, "Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            return Failure(BAD_REQUEST, FILE_TOO_BIG)
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"u{stored.file_id}",
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any] | Failure:
        upload = params.get("document")
        if not isinstance(upload, Upload):
            return Failure(BAD_REQUEST, "Bad Request: there is no document in the request")
        chat_id = str(params["chat_id"])
        self.uploads.append(Upload(chat_id, upload.file_name, upload.content_type, upload.data))
        stored = StoredMessage(chat_id, next(self._message_ids), "", None)
        self.messages[(chat_id, stored.message_id)] = stored
        data = self._message_json(stored)
        del data["text"]
        data["document"] = {
            "file_name": upload.file_name,
            "mime_type": upload.content_type,
            "file_id": f"sent{stored.message_id}",
            "file_unique_id": f"usent{stored.message_id}",
            "file_size": len(upload.data),
        }
        return data

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | Failure:
        stored = self.messages.get((str(params.get("chat_id")), int(params.get("message_id") or 0)))
        if stored is None:
            return Failure(BAD_REQUEST, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if params["text"] == stored.text and markup == stored.reply_markup:
            return Failure(BAD_REQUEST, "Bad Request: message is not modified")
        stored.text, stored.reply_markup = str(params["text"]), markup  # no reply_markup removes the keyboard
        return self._message_json(stored)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | Failure:
        stored = self.messages.get((str(params.get("chat_id")), int(params.get("message_id") or 0)))
        if stored is None:
            return Failure(BAD_REQUEST, "Bad Request: message to edit not found")
        stored.reply_markup = params.get("reply_markup")
        return self._message_json(stored)

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool | Failure:
        if str(params.get("callback_query_id")) not in self.callback_ids:
            return Failure(
                BAD_REQUEST, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _message_json(self, stored: StoredMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": stored.message_id,
            "from": self._bot_user(),
            "chat": chat(int(stored.chat_id)),
            "date": int(time.time()),
            "text": html.unescape(TAG.sub("", stored.text)),  # the real server returns the parsed text
        }
        if stored.reply_markup:
            data["reply_markup"] = stored.reply_markup
        return data

    # -- driving the bot ------------------------------------------------------------------------------------

    def queue(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (numbering it when it has no update_id); return its id."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        if self._arrived is not None:
            self._arrived.set()
        return int(update["update_id"])

    def say(
        self, chat_id: int, text: str, *, user_id: int | None = None, name: str = "张伟", language_code: str = "zh-hans"
    ) -> int:
        """Queue a text message from a user in a chat (the user is the chat for private chats)."""
        sender = user_id if user_id is not None else chat_id
        message = {
            "message_id": next(self._message_ids),
            "from": user(sender, name, language_code),
            "chat": chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"offset": 0, "length": _utf16_len(text[:length]), "type": "bot_command"}]
        return self.queue({"message": message})

    def send_document(
        self,
        chat_id: int,
        file_name: str,
        data: bytes,
        *,
        size: int | None = None,
        mime_type: str = "application/octet-stream",
        name: str = "张伟",
    ) -> int:
        """Queue a private document message, the file kept for getFile; ``size`` overrides the announced size."""
        number = len(self.files) + 1
        file_id = f"BQACAgUAAxkBAAI{number:06d}"
        stored = StoredFile(file_id, f"documents/file_{number}.bin", data, len(data) if size is None else size)
        self.files[file_id] = stored
        message = {
            "message_id": next(self._message_ids),
            "from": user(chat_id, name),
            "chat": chat(chat_id),
            "date": int(time.time()),
            "document": {
                "file_name": file_name,
                "mime_type": mime_type,
                "file_id": file_id,
                "file_unique_id": f"AgAD{number:04d}",
                "file_size": stored.size,
            },
        }
        return self.queue({"message": message})

    def send_photo(self, chat_id: int, data: bytes, *, caption: str | None = None, name: str = "张伟") -> int:
        """Queue a private photo message (two sizes, the larger last, as Telegram sends them), kept for getFile."""
        number = len(self.files) + 1
        file_id = f"AgACAgUAAxkBAAI{number:06d}"
        self.files[file_id] = StoredFile(file_id, f"photos/file_{number}.jpg", data, len(data))
        thumb = {"file_id": f"{file_id}-s", "file_unique_id": f"AQAD{number:04d}s", "file_size": 99, "width": 90}
        large = {"file_id": file_id, "file_unique_id": f"AQAD{number:04d}", "file_size": len(data), "width": 1280}
        message = {
            "message_id": next(self._message_ids),
            "from": user(chat_id, name),
            "chat": chat(chat_id),
            "date": int(time.time()),
            "photo": [{**thumb, "height": 67}, {**large, "height": 960}],
        }
        if caption is not None:
            message["caption"] = caption
        return self.queue({"message": message})

    def tap(self, chat_id: int, label: str, *, user_id: int | None = None, name: str = "张伟") -> int:
        """Queue a callback query for the newest message in a chat that has a button with this label."""
        stored, data = self.find_button(chat_id, label)
        query_id = str(next(self._callback_ids))
        self.callback_ids.add(query_id)
        sender = user_id if user_id is not None else chat_id
        return self.queue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user(sender, name),
                    "message": self._message_json(stored),
                    "chat_instance": f"-{chat_id}",
                    "data": data,
                }
            }
        )

    def find_button(self, chat_id: int, label: str) -> tuple[StoredMessage, str]:
        """Return the newest message in a chat with a callback button labelled ``label``, and its data."""
        for stored in sorted(self.messages.values(), key=lambda m: -m.message_id):
            if stored.chat_id != str(chat_id) or not stored.reply_markup:
                continue
            for row in stored.reply_markup.get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return stored, button["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {chat_id}")

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """Answer ``times`` calls of a method with an error, once ``after`` more calls have been answered normally."""
        queue = self.failures.setdefault(method, deque())
        queue.extend([None] * after)
        queue.extend(Failure(code, description, retry_after) for _ in range(times))

    def flood(self, times: int, retry_after: int = 1) -> None:
        """Answer the next ``times`` sendMessage calls with 429 Too Many Requests."""
        self.fail(
            "sendMessage",
            TOO_MANY_REQUESTS,
            f"Too Many Requests: retry after {retry_after}",
            times=times,
            retry_after=retry_after,
        )

    def block(self, chat_id: int, description: str = BLOCKED) -> None:
        """Refuse every message to a chat with 403 Forbidden."""
        self.chat_failures[str(chat_id)] = Failure(FORBIDDEN, description)

    def kick(self, chat_id: int) -> None:
        """Remove the bot from a group: every message to it is refused with 403, as Telegram does."""
        self.block(chat_id, KICKED)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """Upgrade a group to a supergroup: messages to the old id answer 400 with ``migrate_to_chat_id``."""
        self.chat_failures[str(chat_id)] = Failure(BAD_REQUEST, UPGRADED, migrate_to_chat_id=new_chat_id)

    def reject(self, chat_id: int, description: str = CHAT_NOT_FOUND) -> None:
        """Refuse every message to a chat with 400 Bad Request."""
        self.chat_failures[str(chat_id)] = Failure(BAD_REQUEST, description)

    # -- reading what the bot did ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Return the calls of one method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Return the parameters of the sendMessage calls that succeeded (with ``message_id``), oldest first."""
        return [params for params in self.delivered if chat_id is None or params["chat_id"] == str(chat_id)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until a condition holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[FakeTelegram]:
    """Run a fake Bot API server for the duration of a block."""
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def _params(request: Request) -> dict[str, Any]:
    """Decode the parameters: a JSON body, or form fields whose non-string values are JSON (what PTB sends)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return dict(json.loads(body)) if body else {}
    if content_type.startswith(MULTIPART):
        return _multipart(content_type, body)
    params: dict[str, Any] = dict(request.query_params)
    for name, value in parse_qsl(body.decode(), keep_blank_values=True):
        if name in JSON_FIELDS:
            params[name] = json.loads(value)
        elif name in INT_FIELDS:
            params[name] = int(value)
        else:
            params[name] = value
    return params


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a multipart upload (what PTB sends with a file): fields as in ``_params``, files as ``Upload``."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        file_name = part.get_filename()
        if file_name is not None:
            params[name] = Upload("", file_name, part.get_content_type(), payload)
            continue
        value = payload.decode()
        params[name] = json.loads(value) if name in JSON_FIELDS else int(value) if name in INT_FIELDS else value
    # PTB names the file part and refers to it as "attach://<name>" in the document field
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = params.pop(value.removeprefix("attach://"), value)
    return params


def _error(failure: Failure) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": failure.code, "description": failure.description}
    if failure.retry_after is not None:
        body["parameters"] = {"retry_after": failure.retry_after}
    if failure.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": failure.migrate_to_chat_id}
    return JSONResponse(body, status_code=failure.code)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
