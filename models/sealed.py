"""Personal values sealed at rest: AES-GCM ciphertext in the column, a keyed blind index for exact lookups.

A sealed value reads ``1$<key id>$<base64 of nonce + ciphertext + tag>``. The key id says which data key sealed
it, so a rotation can tell old rows from new; the column's name is authenticated as associated data, so a
ciphertext copied into another column does not open. The keyring lives here, in one place, and is installed once
at start (``bot.data_keys.install_data_key``); nothing is sealed or opened before that.

The blind index of a value is an HMAC-SHA256 under a key derived from the data key that sealed it. Rotating the
data key therefore rotates the index too: the rotation rewrites both in the same row, and while a rotation is
unfinished a lookup asks for the index under every key on the keyring (``blind_indexes``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = "1"
SEPARATOR = "$"
KEY_ID_CHARS = 8
TOKEN_PARTS = 3
KEY_ID_LABEL = b"lianfang data key id"
INDEX_KEY_LABEL = b"lianfang blind index key"
INDEX_LENGTH = 64
"""A blind index is an HMAC-SHA256 in hex."""
JSON_SEPARATORS = (",", ":")


class DataKeyError(RuntimeError):
    """No data key is installed, a key is malformed, or a value does not open under the keys installed."""


def decode_key(text: str) -> bytes:
    """Read a data key written as base64; raise DataKeyError unless it is 32 bytes."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError("the data key is not base64") from None
    if len(secret) != KEY_BYTES:
        raise DataKeyError(f"the data key must be {KEY_BYTES} bytes (base64 of {KEY_BYTES} random bytes)")
    return secret


def new_key_text() -> str:
    """Return a fresh random data key, as base64."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


@dataclass(frozen=True)
class DataKey:
    """One data key: the AES-GCM key, its public id, and the blind-index key derived from it."""

    secret: bytes = field(repr=False)
    key_id: str = field(init=False)
    index_key: bytes = field(init=False, repr=False)
    aead: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise DataKeyError(f"the data key must be {KEY_BYTES} bytes")
        object.__setattr__(self, "key_id", hmac.digest(self.secret, KEY_ID_LABEL, "sha256").hex()[:KEY_ID_CHARS])
        object.__setattr__(self, "index_key", hmac.digest(self.secret, INDEX_KEY_LABEL, "sha256"))
        object.__setattr__(self, "aead", AESGCM(self.secret))

    @classmethod
    def from_text(cls, text: str) -> DataKey:
        """Build a key from its base64 text."""
        return cls(decode_key(text))


@dataclass(frozen=True)
class Keyring:
    """The current data key, which seals every new value, and retired keys that still open older values."""

    current: DataKey
    retired: tuple[DataKey, ...] = ()

    def key(self, key_id: str) -> DataKey | None:
        """Return the key with this id, current or retired."""
        return next((key for key in (self.current, *self.retired) if key.key_id == key_id), None)

    @property
    def keys(self) -> tuple[DataKey, ...]:
        """Return every key, the current one first."""
        return (self.current, *self.retired)


_installed: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> None:
    """Make this keyring the one every sealed column uses (None removes it)."""
    global _installed
    _installed = keyring


def installed_keyring() -> Keyring:
    """Return the installed keyring; raise DataKeyError when none is."""
    if _installed is None:
        raise DataKeyError(
            "no data key is installed: set LIANFANG_DATA_KEY or LIANFANG_DATA_KEY_FILE (lianfang keys generate)"
        )
    return _installed


def _associated(context: str) -> bytes:
    return context.encode("utf-8")


def seal(value: str, *, context: str, key: DataKey | None = None) -> str:
    """Encrypt a value for one column (``table.column``) under the current key, with a fresh random nonce."""
    return seal_bytes(value.encode("utf-8"), context=context, key=key)


def seal_bytes(data: bytes, *, context: str, key: DataKey | None = None) -> str:
    """Encrypt bytes (a file) for one column, as ``seal`` does text: the sealed form is text either way."""
    key = key or installed_keyring().current
    nonce = os.urandom(NONCE_BYTES)
    body = key.aead.encrypt(nonce, data, _associated(context))
    return SEPARATOR.join((FORMAT_VERSION, key.key_id, base64.b64encode(nonce + body).decode("ascii")))


def is_sealed(value: str) -> bool:
    """Tell whether a stored value is a sealed one (as opposed to plaintext from before encryption)."""
    parts = value.split(SEPARATOR)
    return len(parts) == TOKEN_PARTS and parts[0] == FORMAT_VERSION and len(parts[1]) == KEY_ID_CHARS


def key_id_of(token: str) -> str:
    """Return the id of the key that sealed a value."""
    if not is_sealed(token):
        raise DataKeyError("a stored value is not sealed (was the encryption migration run?)")
    return token.split(SEPARATOR)[1]


def unseal(token: str, *, context: str, keyring: Keyring | None = None) -> str:
    """Decrypt a sealed value of one column; raise DataKeyError unless a key (given or installed) opens it."""
    return unseal_bytes(token, context=context, keyring=keyring).decode("utf-8")


def unseal_bytes(token: str, *, context: str, keyring: Keyring | None = None) -> bytes:
    """Decrypt sealed bytes of one column; raise DataKeyError unless a key (given or installed) opens them."""
    key_id = key_id_of(token)
    key = (keyring or installed_keyring()).key(key_id)
    if key is None:
        raise DataKeyError(f"a value is sealed under data key {key_id}, which is not installed")
    raw = base64.b64decode(token.split(SEPARATOR)[2])
    try:
        return key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(context))
    except InvalidTag:
        raise DataKeyError(f"a value of {context} does not open under data key {key_id}") from None


def blind_index(value: str, *, context: str, key: DataKey | None = None) -> str:
    """Return the blind index of a value under one key (default: the current one)."""
    key = key or installed_keyring().current
    return hmac.digest(key.index_key, _associated(context) + b"\0" + value.encode("utf-8"), "sha256").hex()


def blind_indexes(value: str, *, context: str) -> list[str]:
    """Return a value's blind index under every installed key, for lookups while a rotation is unfinished."""
    return [blind_index(value, context=context, key=key) for key in installed_keyring().keys]


def index_default(column: str, context: str) -> Callable[[Any], str | None]:
    """Return a column default that fills a blind index, on insert, from the plaintext of a sealed column of the row.

    A default, not a listener: it runs for Core inserts (and executemany) as for the ORM's.
    """

    def default(execution: Any) -> str | None:
        value = execution.get_current_parameters().get(column)
        return blind_index(str(value), context=context) if value else None

    return default


def index_field(column: str, context: str) -> Any:
    """Declare a table's blind-index column for one of its sealed columns: indexed, filled on insert."""
    return Field(
        default=None, max_length=INDEX_LENGTH, index=True, sa_column_kwargs={"default": index_default(column, context)}
    )


class Sealed(TypeDecorator[str]):
    """A text column stored sealed: encrypted on the way in, decrypted on the way out; None and "" stay as they are.

    A sealed column cannot be compared in SQL (every value has its own nonce): look values up by a blind index.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *, index: str | None = None) -> None:
        super().__init__()
        self.context = context
        self.index = index
        """The column of the same table holding this column's blind index, if it has one."""

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Seal a value on its way to the database."""
        if value is None or value == "":
            return value
        return seal(str(value), context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """Open a value on its way from the database."""
        if value is None or value == "":
            return value
        return unseal(str(value), context=self.context)


class SealedJson(Sealed):
    """A JSON value stored sealed: its JSON text is encrypted as a sealed text column's value is; None stays None.

    A subclass of ``Sealed`` so that a key rotation (``models.rekey``) finds and reseals it: rotation works on the
    stored text, and plaintext JSON written before the column was sealed is "not sealed" text, sealed as it is.
    """

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Seal a value's JSON text on its way to the database."""
        if value is None:
            return None
        return seal(json.dumps(value, ensure_ascii=False, separators=JSON_SEPARATORS), context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Open a value and read its JSON on its way from the database."""
        if value is None:
            return None
        return json.loads(unseal(str(value), context=self.context))


class SealedBytes(Sealed):
    """A file's bytes stored sealed, as text (base64 of the ciphertext); empty bytes stay empty, None stays None.

    A subclass of ``Sealed`` so that a key rotation finds and reseals it; ``models.rekey`` knows its plaintext is
    bytes (written as base64 where a text form is needed).
    """

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Seal a file's bytes on their way to the database."""
        if value is None:
            return None
        return seal_bytes(bytes(value), context=self.context) if value else ""

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Open a file's bytes on their way from the database."""
        if value is None:
            return None
        return unseal_bytes(str(value), context=self.context) if value else b""
