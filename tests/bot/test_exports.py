"""/export NAME (导出): every feature's export by name, offered and refused by role, audited; a bad name answered."""

from __future__ import annotations

import io

import pytest
from lianfang.app.features import EXPORTS, FEATURES
from lianfang.bot.exports import Export, Exports
from lianfang.bot.feature import Feature
from lianfang.bot.i18n import render
from lianfang.bot.menu import everyone
from lianfang.bot.types import Text
from lianfang.models.audit import ACTION_EXPORT, AuditEntry
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of

READY = {
    "ledger": "files.export_ready",
    "supervision": "supervision.export_ready",
    "supplies": "supplies_export.sent",
    "incidents": "incident_export.sent",
}
"""What each export answers with its file."""


def exports_audited(harness: Harness) -> list[str]:
    """Return who exported, in order, as the audit log has it."""
    with Session(harness.app.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == ACTION_EXPORT).order_by(AuditEntry.id))
        return [entry.actor for entry in entries]


def test_the_registry_holds_the_four_exports_of_the_issues() -> None:
    assert EXPORTS.names == ("ledger", "supplies", "incidents", "supervision")
    assert Exports.of(FEATURES) == EXPORTS


def test_a_name_or_word_declared_twice_and_two_defaults_are_refused() -> None:
    def send(_ctx: object, _rest: str) -> None:
        return None

    first = Export("a", ("甲",), Text("export.choose"), send=send, allowed=everyone)
    clash = Export("b", ("甲",), Text("export.choose"), send=send, allowed=everyone)
    with pytest.raises(ValueError, match="甲"):
        Exports.of([Feature("one", exports=(first,)), Feature("two", exports=(clash,))])
    assert Exports.of([Feature("one", exports=(first,))]).find("甲") == first
    default = Export("c", (), Text("export.choose"), send=send, allowed=everyone, takes_rest=lambda _c, _a: True)
    other = Export("d", (), Text("export.choose"), send=send, allowed=everyone, takes_rest=lambda _c, _a: True)
    with pytest.raises(ValueError, match="default"):
        Exports.of([Feature("one", exports=(default, other))])


async def test_export_alone_lists_what_a_leader_may_export_and_a_tap_sends_it(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    answer = await leader.say("/export")
    assert keys_of(answer) == ["export.choose", *["export.line"] * 4]
    assert [button.value for button in answer[0].buttons] == [
        "/export 台账",
        "/export 物资",
        "/export 事件",
        "/export 督办",
    ]
    assert "督办台账和问题台账（导出 督办）" in texts_of(answer)
    tapped = await leader.tap("督办台账和问题台账")
    assert keys_of(tapped) == ["supervision.export_ready"]
    assert exports_audited(harness) == ["王宏武"]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("/export ledger", "ledger"),
        ("导出台账", "ledger"),
        ("/export supervision", "supervision"),
        ("导出 督办", "supervision"),
        ("/export supplies", "supplies"),
        ("导出：物资", "supplies"),
        ("/export incidents", "incidents"),
        ("导出 事件台账", "incidents"),
    ],
)
async def test_each_export_is_sent_by_its_name_or_word_and_audited(harness: Harness, typed: str, name: str) -> None:
    admin = await harness.member("管理员", "coordination", "admin")
    answer = await admin.say(typed)
    assert keys_of(answer) == [READY[name]]
    document = answer[0].document
    assert document is not None and document.data is not None
    assert load_workbook(io.BytesIO(document.data)).sheetnames
    assert exports_audited(harness) == ["管理员"]


async def test_each_export_is_offered_and_sent_only_to_whom_its_feature_allows(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    answer = await staff.say("导出")
    assert keys_of(answer) == ["export.choose", "export.none_allowed"]
    assert answer[0].buttons == ()
    refused = {name: keys_of(await staff.say(f"/export {name}")) for name in READY}
    assert refused == {
        "ledger": ["files.export_not_allowed"],
        "supervision": ["supervision.may_not_export"],
        "supplies": ["funds.not_allowed"],
        "incidents": ["incident_export.not_allowed"],
    }
    stability_lead = await harness.member("李强", "stability", "group_lead")
    offered = (await stability_lead.say("/export"))[0].buttons
    assert [button.value for button in offered] == ["/export 事件", "/export 督办"]  # full data, not every community
    assert keys_of(await stability_lead.say("导出 物资")) == ["funds.not_allowed"]
    assert keys_of(await stability_lead.say("/export incidents")) == ["incident_export.sent"]
    assert exports_audited(harness) == ["李强"]


async def test_a_bad_name_is_answered_with_the_choices_and_a_community_still_gets_its_ledger(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    answer = await leader.say("/export 火星")
    assert keys_of(answer) == ["export.unknown", *["export.line"] * 4]
    assert answer[0].lines[0].params == {"name": "火星"}
    assert render(answer[0].lines[0], "zh") == "没有名为“火星”的导出。"
    assert keys_of(await leader.say("/export " + "x" * 3000))[0] == "export.unknown"
    assert keys_of(await leader.say("/export 东风社区")) == ["files.export_ready"]
    assert keys_of(await leader.say("/export ledger 火星")) == ["files.export_unknown_community"]
    assert exports_audited(harness) == ["王宏武"]


async def test_the_features_own_words_still_export(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    assert keys_of(await leader.say("督办 导出")) == ["supervision.export_ready"]
    assert keys_of(await leader.say("库存 导出")) == ["supplies_export.sent"]
    assert keys_of(await leader.say("事件 导出")) == ["incident_export.sent"]
    assert exports_audited(harness) == ["王宏武"] * 3


async def test_an_export_asked_for_in_a_group_is_offered_privately_only(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    group = harness.group("-100777", leader)
    answer = await group.say("/export supervision")
    assert keys_of(answer) == ["common.private_only"]
    assert all(message.document is None for message in answer)
    assert exports_audited(harness) == []
