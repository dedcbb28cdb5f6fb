"""A WeCom template-card tap on yesterday's reminder card, recorded and live, against the fake API (issue 12, item
13); the core and Telegram cases are in ``tests/test_stale_cards.py``."""

from __future__ import annotations

from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.render import decode_card_key

from tests.bot.test_stale_cards import NEXT_DAY, STALE_ZH, drafts, reports
from tests.fake_wecom import UPDATE_CARD, FakeWeCom
from tests.fakes import Harness
from tests.platforms.wecom.support import CLIENT, PAYLOADS, join, post, web

WECOM_REPORTER = "ZhouQiang"


async def test_a_wecom_card_tap_on_yesterdays_card(
    served: tuple[Harness, WeComAdapter],  # noqa: F811
    fake_wecom: FakeWeCom,
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, WECOM_REPORTER, "screening", "reporter", None, "周强")
        harness.at("15:00")
        await harness.app.tick()
        card = fake_wecom.sent(WECOM_REPORTER)[-1]["template_card"]
        keys = {button["text"]: button["key"] for button in card["button_list"]}
        assert decode_card_key(keys["无新情况"]) == ("/daily nil 2020-01-28", "无新情况")

        harness.at("09:00", NEXT_DAY)
        recorded = (PAYLOADS / "event_template_card_dated.xml").read_text(encoding="utf-8")
        assert (await post(http, wecom, recorded)).status_code == 200  # a recorded tap on the 01-28 card
        answer = fake_wecom.texts(WECOM_REPORTER)[-1]
        assert all(part in answer for part in STALE_ZH)
        assert reports(harness) == []
        fill = CLIENT.card_tap(WECOM_REPORTER, keys["填报"], task_id=card["task_id"], response_code="rc-fill")
        assert (await post(http, wecom, fill)).status_code == 200
        assert all(part in fake_wecom.texts(WECOM_REPORTER)[-1] for part in STALE_ZH)
        assert drafts(harness) == 0
        assert fake_wecom.calls_to(UPDATE_CARD) == []  # refused taps: yesterday's card is not marked as chosen

        today = fake_wecom.sent(WECOM_REPORTER)[-1]["template_card"]  # the answer is a card with today's buttons
        fresh = {button["text"]: button["key"] for button in today["button_list"]}
        assert decode_card_key(fresh["无新情况"]) == ("/daily nil 2020-01-29", "无新情况")
        tap = CLIENT.card_tap(WECOM_REPORTER, fresh["无新情况"], task_id=today["task_id"], response_code="rc-today")
        assert (await post(http, wecom, tap)).status_code == 200
        assert "已于 09:00 报送" in fake_wecom.texts(WECOM_REPORTER)[-1]
        updates = fake_wecom.calls_to(UPDATE_CARD)
        assert [(c.body["response_code"], c.body["button"]["replace_name"]) for c in updates] == [
            ("rc-today", "✓ 无新情况")
        ]
    assert reports(harness) == [(NEXT_DAY, "screening", True)]
