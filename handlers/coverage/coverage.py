"""Screening coverage (逐小区、逐户): per community and compound, the ledger verified and the households checked."""

from __future__ import annotations

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Text
from lianfang.handlers.shared.access import sees_all_communities
from lianfang.handlers.shared.labels import community_label, local_time
from lianfang.models.checks import checks_by_compound
from lianfang.models.screening import ledger_by_compound

COVERAGE_COMMAND = "coverage"


def coverage_command(ctx: MemberContext, _args: str) -> None:
    """Show coverage per community and compound: figures only, so it may be asked for in a group chat too."""
    own = None if sees_all_communities(ctx, ctx.member) else ctx.member.community
    ledger = ledger_by_compound(session=ctx.session, community=own)
    checks = checks_by_compound(session=ctx.session, community=own)
    if not ledger and not checks:
        ctx.reply("coverage.none")
        return
    lines = [Text("coverage.title", {"time": local_time(ctx, ctx.now)})]
    keys = sorted({key for key, _ in (*ledger, *checks)}, key=_community_order(ctx))
    for community in keys:
        compounds = sorted(
            {compound for key, compound in (*ledger, *checks) if key == community}, key=lambda c: (c is None, c or "")
        )
        rows: list[tuple[str | None, int, int, int]] = [
            (compound, *ledger.get((community, compound), (0, 0)), checks.get((community, compound), 0))
            for compound in compounds
        ]
        total = sum(row[1] for row in rows)
        verified = sum(row[2] for row in rows)
        checked = sum(row[3] for row in rows)
        lines.append(Text("coverage.community", _figures(_community_text(ctx, community), total, verified, checked)))
        for compound, c_total, c_verified, c_checked in rows:
            label = Text.raw(compound) if compound else Text("coverage.no_compound")
            lines.append(Text("coverage.compound", _figures(label, c_total, c_verified, c_checked)))
    ctx.reply(*lines)


def _figures(label: Text, total: int, verified: int, checked: int) -> dict[str, object]:
    percent = verified * 100 // total if total else 0
    return {"name": label, "total": total, "verified": verified, "percent": percent, "checks": checked}


def _community_text(ctx: Context, key: str | None) -> Text:
    community = ctx.org.community(key) if key else None
    if community is not None:
        return community_label(community)
    return Text.raw(key) if key else Text("coverage.no_community")


def _community_order(ctx: Context):  # noqa: ANN202 - a sort key
    order = {c.key: n for n, c in enumerate(ctx.org.communities)}
    return lambda key: (order.get(key or "", len(order)), key or "")


COMMANDS = (Command(COVERAGE_COMMAND, coverage_command, aliases=("覆盖", "覆盖率")),)
