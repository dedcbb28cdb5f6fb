"""Install the repository's folders as one package, lianfang: lianfang.bot is bot/, lianfang.handlers is handlers/, ...

Everything else about the project is in pyproject.toml; this file only derives the package list from the tree, so a
new feature or platform package needs no line here.
"""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
ROOMS = ("app", "bot", "handlers", "models", "scheduler", "locales", "migrations", "examples")


def packages() -> list[str]:
    """Every package under the rooms, named under lianfang."""
    return sorted(
        "lianfang." + ".".join(init.parent.relative_to(HERE).parts)
        for room in ROOMS
        for init in (HERE / room).rglob("__init__.py")
    )


setup(packages=packages(), package_dir={f"lianfang.{room}": room for room in ROOMS})
