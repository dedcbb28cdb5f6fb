"""Market inspections (市场检查): recorded by form, closures kept until lifted, rectifications followed up."""

from __future__ import annotations

from lianfang.models.files import KeptFile
from lianfang.models.markets import MarketClosure, MarketInspection
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of


async def test_an_inspection_closes_a_market_until_the_closure_is_lifted_once(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    inspector = await harness.member("赵敏", "supplies", "staff")
    assert "market.ask_market" in keys_of(await inspector.say("市场检查"))
    await inspector.tap("东风农贸市场")
    assert keys_of(await inspector.say("野生动物交易、谣言"))[0] == "market.error_check"
    await inspector.say("野生动物交易、环境卫生")
    await inspector.say("发现一摊位出售活禽和野生动物")
    assert keys_of(await inspector.tap("休市关闭"))[0] == "market.ask_photo"
    summary = await inspector.say("跳过")
    assert "检查内容：野生动物交易、环境卫生" in texts_of(summary)
    saved = await inspector.say("提交")
    assert keys_of(saved) == ["market.saved"]
    assert "【休市关闭】东风农贸市场" in texts_of(leadership.unread())

    listed = await inspector.say("市场检查 关闭")
    assert "东风农贸市场" in texts_of(listed)
    assert keys_of(await inspector.tap("解除 东风农贸市场")) == ["market.lifted"]
    assert keys_of(await inspector.say("市场检查 解除 东风农贸市场")) == ["market.not_closed"]  # lifted twice
    assert keys_of(await inspector.say("市场检查 关闭")) == ["market.none_closed"]
    with Session(harness.app.engine) as session:
        inspection = session.exec(select(MarketInspection)).one()
        assert (inspection.checked, inspection.action) == ("wildlife,hygiene", "close")
        assert session.exec(select(MarketClosure)).one().lifted_at is not None


async def test_a_rectification_is_followed_up_on_its_deadline(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    await harness.group("g-supplies", admin).say("/bind group supplies")
    inspector = await harness.member("赵敏", "supplies", "staff")
    group = harness.group("g-supplies", inspector)
    group.catch_up()
    await inspector.say("市场检查 朝阳菜市场")
    await inspector.say("防疫措施")
    await inspector.say("部分摊主未戴口罩")
    await inspector.tap("责令整改")
    for bad in ("昨天", "2019-12-31", "0天", "100天"):
        assert keys_of(await inspector.say(bad))[0] == "market.error_deadline"
    await inspector.say("2天")
    await inspector.say("跳过")
    assert keys_of(await inspector.say("提交")) == ["market.saved"]
    harness.advance(days=1)
    await harness.tick("09:30")
    assert "market.followup" not in keys_of(inspector.unread())
    harness.advance(days=1)
    await harness.tick("09:30")
    assert keys_of(inspector.unread()) == ["market.followup"]
    assert "整改期限（2020-01-30）已到" in texts_of(group.unread())
    await harness.tick("10:00")
    assert inspector.unread() == []


async def test_strangers_to_markets_may_only_see_the_closures(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say("/market")) == ["market.not_allowed"]
    assert keys_of(await staff.say("/market closed")) == ["market.none_closed"]


async def test_a_photo_sent_at_its_question_is_kept_with_the_inspection(harness: Harness) -> None:
    inspector = await harness.member("赵敏", "supplies", "staff")
    await inspector.say("市场检查 朝阳菜市场")
    await inspector.say("环境卫生")
    await inspector.say("垃圾未及时清运")
    asked = await inspector.tap("无问题")
    assert keys_of(asked)[0] == "market.ask_photo"
    assert keys_of(await inspector.say("照片稍后补"))[0] == "form.file_expected"
    summary = await inspector.send_file("现场.jpg", b"\xff\xd8 photo")
    assert "现场照片：📎 现场.jpg" in texts_of(summary)
    saved = await inspector.say("提交")
    assert keys_of(saved) == ["market.saved", "market.photo_kept"]
    with Session(harness.app.engine) as session:
        inspection = session.exec(select(MarketInspection)).one()
        photo = session.get(KeptFile, inspection.photo_id)
        assert photo is not None and photo.file_name == "现场.jpg" and photo.data == b"\xff\xd8 photo"
        assert photo.member_id == inspection.member_id
