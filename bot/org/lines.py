"""Find the line of each location in an org file's TOML text, for problems that tomllib cannot place.

tomllib gives a position for syntax errors only; a value it parsed carries no line. The schema's problems are
located by path (("groups", 2, "report", 0, "type")), so this scanner walks the text once and records the line
where each path starts: tables, arrays of tables, dotted keys, inline tables and multi-line arrays included.
"""

import contextlib
import re
from bisect import bisect_left

from lianfang.bot.org.problems import Loc


class _ScanStop(Exception):
    """Raised inside the line scanner when the text is not shaped as expected."""


class LineIndex:
    """Map each location in a TOML document (e.g. ("groups", 2, "report", 0, "type")) to its line."""

    _BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
    _SCALAR_END = frozenset(",]}#\r\n")

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._newlines = [offset for offset, char in enumerate(text) if char == "\n"]
        self._lines: dict[Loc, int] = {}
        self._array_counts: dict[Loc, int] = {}
        self._table: Loc = ()
        # On a surprise keep the lines found so far; lookups fall back to enclosing locations.
        with contextlib.suppress(_ScanStop, IndexError):
            self._scan()

    def line_for(self, loc: Loc) -> int | None:
        """Return the line of `loc`, else of its closest enclosing location, else None."""
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line
        return None

    def _line(self) -> int:
        return bisect_left(self._newlines, self._pos) + 1

    def _char(self) -> str:
        return self._text[self._pos : self._pos + 1]

    def _skip(self, *, newlines: bool) -> None:
        """Skip spaces and comments, and line breaks too when `newlines` is set."""
        text = self._text
        while self._pos < len(text):
            char = text[self._pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self._pos += 1
            elif char == "#":
                end = text.find("\n", self._pos)
                self._pos = len(text) if end < 0 else end
            else:
                return

    def _expect(self, token: str) -> None:
        self._skip(newlines=False)
        if not self._text.startswith(token, self._pos):
            raise _ScanStop
        self._pos += len(token)

    def _scan(self) -> None:
        while True:
            self._skip(newlines=True)
            if self._pos >= len(self._text):
                return
            line = self._line()
            if self._text.startswith("[[", self._pos):
                self._pos += 2
                parts = self._key()
                self._expect("]]")
                self._open_table(parts, line, is_array=True)
            elif self._char() == "[":
                self._pos += 1
                parts = self._key()
                self._expect("]")
                self._open_table(parts, line, is_array=False)
            else:
                parts = self._key()
                self._expect("=")
                self._record(self._table, parts, line)
                self._value(self._table + parts)

    def _open_table(self, parts: Loc, line: int, *, is_array: bool) -> None:
        """Enter a `[table]` or `[[array]]` section, resolving earlier arrays to their last element."""
        path: Loc = ()
        for part in parts[:-1]:
            path += (part,)
            self._lines.setdefault(path, line)
            if path in self._array_counts:
                path += (self._array_counts[path] - 1,)
        path += (parts[-1],)
        self._lines.setdefault(path, line)
        if is_array:
            index = self._array_counts.get(path, 0)
            self._array_counts[path] = index + 1
            path += (index,)
            self._lines[path] = line
        self._table = path

    def _record(self, table: Loc, parts: Loc, line: int) -> None:
        path = table
        for part in parts:
            path += (part,)
            self._lines.setdefault(path, line)

    def _key(self) -> Loc:
        """Read a possibly dotted, possibly quoted key."""
        parts: list[str] = []
        while True:
            self._skip(newlines=False)
            char = self._char()
            if char == '"':
                parts.append(self._basic_string())
            elif char == "'":
                parts.append(self._literal_string())
            else:
                match = self._BARE_KEY.match(self._text, self._pos)
                if not match:
                    raise _ScanStop
                parts.append(match[0])
                self._pos = match.end()
            self._skip(newlines=False)
            if self._char() != ".":
                return tuple(parts)
            self._pos += 1

    def _basic_string(self) -> str:
        self._pos += 1
        start = self._pos
        while self._text[self._pos] != '"':
            self._pos += 2 if self._text[self._pos] == "\\" else 1
        self._pos += 1
        return self._text[start : self._pos - 1]

    def _literal_string(self) -> str:
        end = self._text.index("'", self._pos + 1)
        value = self._text[self._pos + 1 : end]
        self._pos = end + 1
        return value

    def _multiline_string(self, quotes: str) -> None:
        self._pos += len(quotes)
        while not self._text.startswith(quotes, self._pos):
            self._pos += 2 if quotes == '"""' and self._text[self._pos] == "\\" else 1
        self._pos += len(quotes)
        for _ in range(2):  # up to two quotes right before the closing ones belong to the string
            if self._char() == quotes[0]:
                self._pos += 1

    def _value(self, path: Loc) -> None:
        self._skip(newlines=False)
        char = self._char()
        if self._text.startswith('"""', self._pos) or self._text.startswith("'''", self._pos):
            self._multiline_string(self._text[self._pos : self._pos + 3])
        elif char == '"':
            self._basic_string()
        elif char == "'":
            self._literal_string()
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self._pos < len(self._text) and self._text[self._pos] not in self._SCALAR_END:
                self._pos += 1

    def _array(self, path: Loc) -> None:
        self._pos += 1
        index = 0
        while True:
            self._skip(newlines=True)
            if self._char() == "]":
                self._pos += 1
                return
            self._lines.setdefault(path + (index,), self._line())
            self._value(path + (index,))
            self._skip(newlines=True)
            if self._char() == ",":
                self._pos += 1
                index += 1
            elif self._char() == "]":
                self._pos += 1
                return
            else:
                raise _ScanStop

    def _inline_table(self, path: Loc) -> None:
        self._pos += 1
        while True:
            self._skip(newlines=True)
            if self._char() == "}":
                self._pos += 1
                return
            line = self._line()
            parts = self._key()
            self._expect("=")
            self._record(path, parts, line)
            self._value(path + parts)
            self._skip(newlines=True)
            if self._char() == ",":
                self._pos += 1
            elif self._char() == "}":
                self._pos += 1
                return
            else:
                raise _ScanStop
