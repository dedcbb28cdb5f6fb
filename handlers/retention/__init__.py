"""Retention (保存期限): personal records erased once past retention, one resident on request, and the access report."""

from lianfang.bot.feature import Feature
from lianfang.handlers.retention.cli import add_subcommands
from lianfang.handlers.retention.jobs import RETENTION_JOBS
from lianfang.handlers.retention.settings import RETENTION

FEATURE = Feature(name="retention", jobs=RETENTION_JOBS, settings=RETENTION, cli=add_subcommands)

__all__ = ["FEATURE", "RETENTION"]
