"""``lianfang keys``: make a data key, see which keys the stored values are under, and rotate to a new key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lianfang.bot.data_keys import read_key_file, write_key_file
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, Subcommands
from lianfang.models.rekey import DEFAULT_BATCH, Progress, by_table, count_stale, rotate, sealed_columns
from lianfang.models.sealed import DataKeyError, installed_keyring, new_key_text
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from lianfang.app.platforms import Settings
    from sqlalchemy import Engine

ROTATE_STEPS = (
    "To rotate: `lianfang keys generate --file KEYFILE` puts a new key first and keeps the old one as retired; "
    "restart every instance; then `lianfang keys rotate`."
)


def add_keys_commands(sub: Subcommands) -> None:
    """Add ``lianfang keys generate|status|rotate``."""
    keys = sub.add_parser("keys", help="the data key that encrypts ID numbers and phones")
    commands = keys.add_subparsers(dest="keys_command", required=True)
    generate = commands.add_parser("generate", help="make a new data key: print it, or put it first in a key file")
    generate.add_argument(
        "--file", type=Path, default=None, help="add the key to this key file (made 0600), keeping its keys as retired"
    )
    generate.set_defaults(func=cmd_keys_generate)
    status = commands.add_parser("status", help="show the keys in use and the values not yet under the current key")
    status.set_defaults(func=cmd_keys_status)
    rotate_parser = commands.add_parser("rotate", help="re-encrypt every value under the current key, in batches")
    rotate_parser.add_argument("--batch", type=_positive, default=DEFAULT_BATCH, help="rows per transaction")
    rotate_parser.set_defaults(func=cmd_keys_rotate)


def cmd_keys_generate(args: argparse.Namespace) -> int:
    """Print a new data key, or put it first in a key file (the keys already there stay, as retired keys)."""
    key = new_key_text()
    if args.file is None:
        print(key)
        return EXIT_OK
    try:
        kept = read_key_file(args.file) if args.file.exists() else []
        write_key_file(args.file, [key, *kept])
    except (DataKeyError, OSError) as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"added a new data key to {args.file}" + (f" ({len(kept)} earlier key(s) kept as retired)" if kept else ""))
    if kept:
        print("restart every instance on it, then run `lianfang keys rotate`")
    return EXIT_OK


def _open(settings: Settings) -> Engine:
    from lianfang.app.cli import open_database

    return open_database(settings)


def cmd_keys_status(args: argparse.Namespace) -> int:
    """Show the current and retired key ids and, per table, the rows not yet under the current key."""
    from lianfang.app.cli import load_settings

    engine = _open(load_settings())
    keyring = installed_keyring()
    print(f"current key: {keyring.current.key_id}")
    for key in keyring.retired:
        print(f"retired key: {key.key_id}")
    waiting = 0
    with engine.connect() as connection:
        for table, columns in by_table(sealed_columns(SQLModel.metadata)).items():
            count = count_stale(connection, table, columns)
            waiting += count
            print(f"{table}: {count} row(s) not under the current key")
    engine.dispose()
    if waiting:
        print("run `lianfang keys rotate` to bring them under the current key")
    elif not keyring.retired:
        print(ROTATE_STEPS)
    return EXIT_OK


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every value not under the current key; safe to stop and run again."""
    from lianfang.app.cli import load_settings

    engine = _open(load_settings())
    keyring = installed_keyring()
    print(f"re-encrypting under key {keyring.current.key_id}")

    def show(progress: Progress) -> None:
        print(f"{progress.table}: {progress.done}/{progress.total}", flush=True)

    try:
        changed = rotate(engine, by_table(sealed_columns(SQLModel.metadata)), batch=args.batch, progress=show)
    except DataKeyError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    print(f"done: {sum(changed.values())} row(s) re-encrypted; every value is under key {keyring.current.key_id}")
    if keyring.retired:
        retired = ", ".join(key.key_id for key in keyring.retired)
        print(
            f"the retired key(s) {retired} are no longer needed by this database; keep them while older backups "
            "may be restored, then remove them from the key file or LIANFANG_DATA_KEYS_RETIRED"
        )
    return EXIT_OK


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)
