"""The shape of the tree: the import rule between the rooms, module sizes, tests that mirror the tree, one spelling.

The rule (see the README's "How it is built"): ``app → {handlers, bot.platforms, scheduler} → bot → models``.
A feature imports another feature through its package only, downward, with no cycles; the shared helpers import no
feature; a platform imports neither models nor features nor another platform, and is the only place that imports
its SDK; nothing imports ``app``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.paths import ROOT, TESTS

PACKAGE = "lianfang"
SOURCE_ROOMS = ("app", "bot", "handlers", "models", "scheduler", "migrations")
MAX_MODULE_LINES = 700
SHARED = "shared"
PLATFORM_SUPPORT = "platform support"
"""A module directly in bot/platforms/, such as the bounded request body: for every platform, of none."""
SDKS = {"telegram": "telegram", "wechatpy": "wecom"}
"""A platform SDK's top-level module, and the only platform package that may import it."""


@dataclass(frozen=True)
class Import:
    """One import of a lianfang module (or a platform SDK) by a source file."""

    source: Path
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.source.relative_to(ROOT)}:{self.line} imports {self.target}"


def source_files() -> Iterator[Path]:
    """Every Python file of the installed package, migrations' versions left out (they are history)."""
    for room in SOURCE_ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            if "versions" not in path.parts:
                yield path


def module_of(path: Path) -> str:
    """The dotted name a file is installed under: ``bot/ports.py`` is ``lianfang.bot.ports``."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imports_of(path: Path) -> Iterator[Import]:
    """Every import in a file, also those inside functions and ``TYPE_CHECKING`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield Import(path, node.lineno, node.module)
            for alias in node.names:  # "from lianfang.handlers import checks" imports lianfang.handlers.checks
                yield Import(path, node.lineno, f"{node.module}.{alias.name}")


def room_of(module: str) -> str:
    """The room of a lianfang module: app, kernel, platform:<p>, feature:<f>, shared, scheduler, models, migrations."""
    parts = module.split(".")[1:]
    if not parts:
        return "package"
    head = parts[0]
    if head == "bot" and len(parts) >= 3 and parts[1] == "platforms":
        package = ROOT.joinpath(*parts[:3])
        return f"platform:{parts[2]}" if package.is_dir() else PLATFORM_SUPPORT
    if head == "bot":
        return "kernel"
    if head == "handlers" and len(parts) >= 2:
        return SHARED if parts[1] == SHARED else f"feature:{parts[1]}"
    return head


def exists(module: str) -> bool:
    """Whether a dotted lianfang name is a module or package of the tree (not a name inside a module)."""
    relative = Path(*module.split(".")[1:])
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative / "__init__.py").is_file()


ALLOWED = {
    "app": None,  # the composition root may import everything
    "scheduler": {"scheduler", "kernel", "models"},
    "kernel": {"kernel", "models"},
    PLATFORM_SUPPORT: {"kernel", PLATFORM_SUPPORT},
    SHARED: {SHARED, "kernel", "models"},
    "models": {"models"},
    "migrations": {"models", "migrations"},
}


def problem(found: Import) -> str | None:
    """Why an import breaks the rule, or None."""
    source_room = room_of(module_of(found.source))
    top = found.target.split(".")[0]
    if top in SDKS:
        return None if source_room == f"platform:{SDKS[top]}" else f"{found}: only the {SDKS[top]} platform uses {top}"
    if top != PACKAGE or not exists(found.target):
        return None
    target_room = room_of(found.target)
    if target_room == "app" and source_room != "app":
        return f"{found}: nothing imports app"
    if source_room.startswith("platform:"):
        if target_room not in ("kernel", PLATFORM_SUPPORT, source_room):
            return f"{found}: a platform imports only the kernel, the platform support and itself"
        return None
    if source_room.startswith("feature:"):
        if target_room.startswith("feature:") and target_room != source_room:
            package = "lianfang.handlers." + target_room.split(":")[1]
            if found.target != package:
                return f"{found}: a feature imports another feature through its package ({package})"
            return None
        if target_room not in (source_room, SHARED, "kernel", "models"):
            return f"{found}: a feature imports features, shared helpers, the kernel and models only"
        return None
    allowed = ALLOWED.get(source_room)
    if allowed is not None and target_room not in allowed:
        return f"{found}: {source_room} may import only {', '.join(sorted(allowed))}"
    return None


def feature_graph() -> dict[str, set[str]]:
    """Which feature packages each feature imports."""
    graph: dict[str, set[str]] = {}
    for path in source_files():
        source_room = room_of(module_of(path))
        if not source_room.startswith("feature:"):
            continue
        targets = graph.setdefault(source_room, set())
        for found in imports_of(path):
            if found.target.startswith(PACKAGE + ".") and exists(found.target):
                target_room = room_of(found.target)
                if target_room.startswith("feature:") and target_room != source_room:
                    targets.add(target_room)
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as the list of its nodes, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_import_follows_the_rule() -> None:
    problems = [why for path in source_files() for found in imports_of(path) if (why := problem(found))]
    assert problems == []


def test_the_rule_names_the_offending_import() -> None:
    kernel = ROOT / "bot" / "dispatcher.py"
    wrong = Import(kernel, 7, "lianfang.handlers.checks")
    why = "bot/dispatcher.py:7 imports lianfang.handlers.checks: kernel may import only kernel, models"
    assert problem(wrong) == why
    sdk = Import(ROOT / "bot" / "outbox.py", 3, "telegram.error")
    assert problem(sdk) == "bot/outbox.py:3 imports telegram.error: only the telegram platform uses telegram"


def test_features_import_each_other_without_a_cycle() -> None:
    graph = feature_graph()
    assert graph, "no feature package found"
    assert cycle_in(graph) is None
    assert cycle_in({"feature:a": {"feature:b"}, "feature:b": {"feature:a"}}) == ["feature:a", "feature:b", "feature:a"]


def test_no_module_is_over_700_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_tests_mirror_the_tree() -> None:
    """A test folder names a room of the tree: tests/bot/, tests/platforms/wecom/, tests/handlers/checks/, ..."""
    unmirrored = []
    for folder in sorted({path.parent for path in TESTS.rglob("test_*.py")} - {TESTS}):
        parts = folder.relative_to(TESTS).parts
        source = ROOT / "bot" / Path(*parts) if parts[0] == "platforms" else ROOT / Path(*parts)
        if not source.is_dir():
            unmirrored.append(str(folder.relative_to(ROOT)))
    assert unmirrored == []
    assert [path.name for path in TESTS.glob("test_*.py")] == [Path(__file__).name]


def identifiers(path: Path) -> Iterator[str]:
    """The names a file defines and uses: functions, classes, variables, attributes, arguments, imported names."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.alias):
            yield node.asname or node.name


def test_one_spelling_of_normalize() -> None:
    british = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in [*source_files(), *TESTS.rglob("*.py")]
        for name in set(identifiers(path))
        if "normalis" in name.lower()
    )
    assert british == []


def test_the_image_and_compose_carry_what_the_package_and_the_web_app_need() -> None:
    """The image copies every room setup.py installs, runs unprivileged and checks the health path the app serves.

    Docker cannot run on the machines the tests run on, so the image is checked here, as text, for the mistakes a
    change of the tree would make: a new room not copied, a health path renamed, a required variable undocumented.
    """
    from lianfang.app.web import HEALTH_PATH

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installed = re.search(r"^ROOMS = (\(.*\))$", (ROOT / "setup.py").read_text(encoding="utf-8"), re.M)
    assert installed is not None
    rooms = ast.literal_eval(installed.group(1))
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert set(rooms) <= copied, f"rooms the image lacks: {sorted(set(rooms) - copied)}"
    assert re.search(r"^USER (?!root\b)\w+$", dockerfile, re.M)
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for healthcheck in (dockerfile, compose):
        assert f":8080{HEALTH_PATH}'" in healthcheck or f":%s{HEALTH_PATH}'" in healthcheck
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    required = set(re.findall(r"\$\{(\w+):\?", compose))
    assert required and required <= documented, f"compose requires undocumented variables: {required - documented}"
