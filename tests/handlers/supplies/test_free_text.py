"""Supply needs typed as free text: one message, "我理解为：…", one tap, one need per item."""

from __future__ import annotations

from lianfang.handlers.shared.freetext.supply_words import COMMON_ITEMS
from lianfang.models.checks import CheckResult
from lianfang.models.supplies import SupplyNeed
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of


def _needs(harness: Harness) -> list[tuple[object, ...]]:
    with Session(harness.app.engine) as session:
        needs = session.exec(select(SupplyNeed).order_by(SupplyNeed.id)).all()  # type: ignore[arg-type]
        return [(n.id, n.item, n.quantity, n.unit, n.urgency, n.community, n.reason, n.status) for n in needs]


async def test_one_message_and_one_tap_store_one_need_per_item(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    lead = await harness.member("邓勇", "supplies", "group_lead")
    staff = await harness.member("王芳", "screening", "staff", "chaoyang")
    understood = await staff.say("东风社区急需口罩2000只、消毒液50瓶")
    keys = keys_of(understood)
    assert keys[:2] == ["freetext.understood", "form.summary_title"] and keys[-1] == "form.confirm_prompt"
    shown = texts_of(understood)
    assert shown.startswith("我理解为：") and "口罩 2000 只、消毒液 50 瓶" in shown
    assert "东风社区" in shown and "紧急" in shown  # the text's community, not the worker's own
    saved = await staff.tap("提交")
    assert keys_of(saved) == ["supply_text.saved", "supply_text.saved_line", "supply_text.saved_line"]
    assert "第 1 号：口罩 2000 只" in texts_of(saved) and "第 2 号：消毒液 50 瓶" in texts_of(saved)
    assert _needs(harness) == [
        (1, "口罩", 2000, "只", "high", "dongfeng", "", "open"),
        (2, "消毒液", 50, "瓶", "high", "dongfeng", "", "open"),
    ]
    notices = texts_of(leadership.unread())  # urgent: announced as a form-made need, once per need
    assert "第 1 号：东风社区需要 口罩 2000 只" in notices and "第 2 号：东风社区需要 消毒液 50 瓶" in notices
    assert keys_of(lead.unread()).count("supply.leads_new") == 2
    assert await staff.say("提交")  # a second tap finds no summary: nothing more is stored
    assert len(_needs(harness)) == 2


async def test_supply_with_text_reads_the_org_items_the_purpose_and_a_normal_need(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    summary = await staff.say("/supply 需要外科口罩两千只 N95 200只，用于卡点值守")
    assert keys_of(summary)[:2] == ["freetext.understood", "form.summary_title"]
    shown = texts_of(summary)
    assert "医用外科口罩 2000 只、N95口罩 200 只" in shown and "卡点值守" in shown and "一般" in shown
    assert "朝阳社区" in shown  # said nothing of a community: the worker's own
    await staff.say("提交")
    assert _needs(harness) == [
        (1, "医用外科口罩", 2000, "只", "normal", "chaoyang", "卡点值守", "open"),
        (2, "N95口罩", 200, "只", "normal", "chaoyang", "卡点值守", "open"),
    ]
    assert leadership.unread() == []  # a normal need is not announced


async def test_a_need_wins_over_a_check_unless_the_text_speaks_of_health(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    # The check parser reads an address and a phone here: without a health word it is a supply need.
    need = await staff.say("张书记 东风小区卡点急需防护服50套 电话13812345678")
    assert keys_of(need)[:2] == ["freetext.understood", "form.summary_title"]
    assert "防护服 50 套" in texts_of(need)
    await staff.say("/cancel")
    check = await staff.say("东风小区3栋2单元501张三 体温37.9 咳嗽 家里缺口罩")
    assert keys_of(check)[:2] == ["freetext.understood", "check.ask_history"]  # a check, asking what it lacks
    await staff.tap("无")
    await staff.tap("居家观察")
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        assert session.exec(select(CheckResult)).one().person == "张三"
    assert _needs(harness) == []
    for chatter in ("口罩收到了，谢谢", "手套够了，不用再送", "好的👍"):
        assert keys_of(await staff.say(chatter)) == ["common.not_understood"]
    assert _needs(harness) == []


async def test_an_item_without_a_quantity_is_asked_and_a_bad_answer_loses_nothing(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    asked = await staff.say("东风社区缺口罩和手套，急")
    assert keys_of(asked)[:2] == ["supply_text.partial", "supply_text.ask_items"]
    assert "口罩、手套" in texts_of(asked)
    wrong = await staff.say("很多很多")
    assert keys_of(wrong) == ["supply_text.error_items", "supply_text.ask_items", "form.hint_back_cancel"]
    summary = await staff.say("口罩2000只 手套100")
    assert keys_of(summary)[0] == "form.summary_title"
    assert "口罩 2000 只、手套 100 副" in texts_of(summary)  # 副: the usual unit of gloves
    asked_again = await staff.say("修改 1")
    assert keys_of(asked_again)[0] == "supply_text.ask_items"
    await staff.say("口罩3000只")
    await staff.say("提交")
    assert _needs(harness) == [(1, "口罩", 3000, "只", "high", "dongfeng", "", "open")]


async def test_the_spaced_shortcut_keeps_the_supply_form(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    first = await staff.say("/supply 口罩 2000 只 不急")
    assert keys_of(first)[:2] == ["form.started_prefilled", "supply.ask_reason"]


async def test_strangers_and_groups_are_not_read(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    stranger = harness.private("路人")
    assert keys_of(await stranger.say("东风社区急需口罩2000只")) == ["common.stranger"]
    group = harness.group("g-coordination", admin)
    group.catch_up()
    await group.say("东风社区急需口罩2000只")
    assert "form.summary_title" not in keys_of(group.unread())
    assert _needs(harness) == []


async def test_too_many_items_at_once_are_refused_whole(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    many = "、".join(f"{item}10个" for item in list(COMMON_ITEMS)[:21])
    assert keys_of(await staff.say(many)) == ["supply_text.too_many"]
    await staff.say("东风社区缺手套")
    answer = await staff.say(many)  # typed as the answer to the items question
    assert keys_of(answer)[:2] == ["supply_text.too_many", "supply_text.ask_items"]
    assert _needs(harness) == []
