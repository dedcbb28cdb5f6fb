"""``lianfang demo``: one scripted day of the plan on a simulated clock, every message printed.

Part of the CLI layer: it wires handlers and the scheduler the same way ``lianfang run`` does.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from lianfang.app.features import ORG_SECTIONS
from lianfang.app.platforms import Settings
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.org import default_org_path, load_org
from lianfang.bot.render import document_line, render_plain
from lianfang.bot.runtime import App, ManualClock
from lianfang.bot.types import IncomingMessage, OutgoingMessage

DEMO_PLATFORM = "demo"
DEFAULT_DAY = date(2020, 1, 28)
RULE = "─" * 60


@dataclass
class DemoAdapter:
    """Print every outgoing message with the chat it goes to."""

    out: TextIO
    clock: ManualClock
    chat_names: dict[str, str]
    platform: str = DEMO_PLATFORM
    inbox: dict[str, list[OutgoingMessage]] = field(default_factory=dict)

    async def start(self, dispatch: object) -> None:
        """Nothing to start: the script speaks for the users."""

    async def send(self, message: OutgoingMessage) -> None:
        """Print one message."""
        self.inbox.setdefault(message.chat.chat_id, []).append(message)
        name = self.chat_names.get(message.chat.chat_id, message.chat.chat_id)
        self.out.write(f"  {self.clock.now:%H:%M} 🤖 → {name}\n")
        lines = render_plain(message).split("\n")
        if (named := document_line(message)) is not None:
            lines.append(named)
        for line in lines:
            self.out.write(f"      {line}\n")

    async def stop(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class Person:
    """A member of the scripted day."""

    name: str
    group: str
    role: str
    community: str | None = None

    @property
    def chat_id(self) -> str:
        """Return this person's private chat id."""
        return f"private-{self.name}"


PEOPLE = (
    Person("龙雅俐", "coordination", "admin"),
    Person("王宏武", "coordination", "leader"),
    Person("李娜", "coordination", "reporter"),
    Person("周强", "screening", "reporter"),
    Person("陈静", "supplies", "reporter"),
    Person("刘洋", "publicity", "reporter"),
    Person("赵磊", "stability", "reporter"),
    Person("孙悦", "supervision", "reporter"),
    Person("张伟", "screening", "staff", "chaoyang"),
    Person("王芳", "screening", "staff", "dongfeng"),
)
LEADERSHIP_CHAT = "group-领导小组"
COORDINATION_CHAT = "group-综合组"


class Script:
    """Drive the app as the people of the scripted day."""

    def __init__(self, app: App, adapter: DemoAdapter, clock: ManualClock, out: TextIO) -> None:
        self.app = app
        self.adapter = adapter
        self.clock = clock
        self.out = out
        self.events = 0

    def at(self, hour: int, minute: int) -> None:
        """Move the clock forward to a time of the day."""
        self.clock.now = datetime.combine(self.clock.now.date(), time(hour, minute), tzinfo=self.app.tz)

    def narrate(self, text: str) -> None:
        """Print a line of the story."""
        self.out.write(f"\n{RULE}\n{self.clock.now:%H:%M}  {text}\n")

    async def say(self, who: Person, text: str, *, chat: str | None = None, button: bool = False) -> None:
        """Send a message as a person, in private or in a group chat."""
        chat_id = chat or who.chat_id
        where = "" if chat is None else f" @ {self.adapter.chat_names[chat]}"
        self.out.write(f"  {self.clock.now:%H:%M} 👤 {who.name}{where}: {'[按钮] ' if button else ''}{text}\n")
        self.events += 1
        await self.app.handle(
            IncomingMessage(
                platform=DEMO_PLATFORM,
                chat_id=chat_id,
                user_id=f"user-{who.name}",
                text=text,
                is_private=chat is None,
                display_name=who.name,
                language_code="zh-hans",
                is_button=button,
                event_id=f"event-{self.events}",
            )
        )

    async def answer(self, who: Person, *answers: str) -> None:
        """Send several typed answers in a row."""
        for text in answers:
            await self.say(who, text)

    async def tap(self, who: Person, label: str) -> None:
        """Tap the button with this label on the latest message in the person's private chat."""
        for message in reversed(self.adapter.inbox.get(who.chat_id, [])):
            for button in message.buttons:
                if render(button.label, message.lang) == label:
                    self.out.write(f"  {self.clock.now:%H:%M} 👤 {who.name}: [点按「{label}」]\n")
                    self.events += 1
                    await self.app.handle(
                        IncomingMessage(
                            platform=DEMO_PLATFORM,
                            chat_id=who.chat_id,
                            user_id=f"user-{who.name}",
                            text=button.value,
                            display_name=who.name,
                            is_button=True,
                            event_id=f"event-{self.events}",
                        )
                    )
                    return
        raise RuntimeError(f"no button {label!r} for {who.name}")

    async def tick(self) -> None:
        """Let the scheduler run at the current time."""
        await self.app.tick()


async def _play(app: App, adapter: DemoAdapter, clock: ManualClock, out: TextIO) -> None:
    from lianfang.handlers.membership.joining import new_invite

    s = Script(app, adapter, clock, out)
    person = {p.name: p for p in PEOPLE}
    s.at(8, 30)
    s.narrate("管理员用 `lianfang invite create` 为每位成员生成一次性邀请码，成员私聊机器人发送 /join 加入")
    for who in PEOPLE:
        with session_scope(app.engine) as session:
            ctx = app.dispatcher.context(session, clock())
            code = new_invite(
                ctx, group_key=who.group, role=who.role, community=who.community, name=who.name, ttl=timedelta(days=3)
            ).code
        await s.say(who, f"/join {code}")

    s.at(8, 50)
    s.narrate("管理员在领导小组群和综合组群里绑定群聊")
    await s.say(person["龙雅俐"], "/bind leadership", chat=LEADERSHIP_CHAT)
    await s.say(person["龙雅俐"], "/bind group coordination", chat=COORDINATION_CHAT)

    s.at(9, 10)
    s.narrate("排查组张伟上门核查，一行登记；体温 37.9 ℃ 且咳嗽，立即预警")
    await s.say(person["张伟"], "/check 3栋2单元501 张三 37.9 咳嗽")
    await s.say(person["张伟"], "/skip")
    await s.tap(person["张伟"], "武汉旅居史")
    await s.tap(person["张伟"], "转诊发热门诊")
    await s.tap(person["张伟"], "提交")

    s.at(9, 20)
    s.narrate("预警发出 10 分钟仍无人点「确认收到」：重发到两个群，并私信领导小组；王宏武确认")
    await s.tick()
    await s.tap(person["王宏武"], "✅ 确认收到")

    s.at(9, 40)
    s.narrate("王芳逐项登记一户，体温正常")
    await s.say(person["王芳"], "排查")
    await s.answer(person["王芳"], "朝阳新村7栋302", "李四", "13812345678", "36.5", "无", "1", "4", "提交")

    s.at(10, 5)
    s.narrate("张三已到达发热门诊，张伟点按钮记录转诊进展")
    await s.say(person["张伟"], "/referral 1")
    await s.tap(person["张伟"], "已到达发热门诊")

    s.at(10, 20)
    s.narrate("王芳一行提出物资需求")
    await s.say(person["王芳"], "/supply 口罩 2000 只 急")
    await s.say(person["王芳"], "/skip")
    await s.say(person["王芳"], "提交")

    s.at(15, 0)
    s.narrate("15:00 定时提醒各组报送员")
    await s.tick()

    s.at(15, 5)
    s.narrate("排查组周强点「填报」：核查、转诊、重点人员人数已按记录预填，他把核查户数改为实际的 126")
    await s.tap(person["周强"], "填报")
    await s.answer(person["周强"], "/skip", "修改 1", "126", "提交")

    s.at(15, 8)
    s.narrate("综合组、保障组、宣传组报送")
    await s.tap(person["李娜"], "填报")
    await s.answer(person["李娜"], "已汇总各组信息，组织召开联防联控例会", "/skip", "提交")
    await s.tap(person["陈静"], "填报")
    await s.answer(person["陈静"], "收到口罩5000只，发放至三个社区", "4", "/skip", "提交")
    await s.tap(person["刘洋"], "填报")
    await s.answer(person["刘洋"], "12", "1", "/skip", "提交")

    s.at(15, 12)
    s.narrate("社会稳定组赵磊点「无新情况」")
    await s.tap(person["赵磊"], "无新情况")
    await s.tap(person["赵磊"], "无新情况")

    s.at(15, 15)
    s.narrate("15:15 第一次催报（只催未报的组）")
    await s.tick()
    s.at(15, 25)
    s.narrate("15:25 第二次催报")
    await s.tick()
    s.at(15, 30)
    s.narrate("15:30 截止：汇总报告发到领导小组群和综合组群")
    await s.tick()

    s.at(16, 10)
    s.narrate("执纪督查组孙悦补报，自动发补报附件，不重发整份报告")
    await s.tap(person["孙悦"], "填报")
    await s.answer(person["孙悦"], "3", "无", "提交")
    s.at(16, 30)
    await s.tick()
    s.narrate("演示结束")


def run_demo(*, day: date | None, out: TextIO) -> int:
    """Play the scripted day on a fresh temporary SQLite database."""
    from lianfang.app.cli import build_app

    day = day or DEFAULT_DAY
    with tempfile.TemporaryDirectory(prefix="lianfang-demo-") as folder:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
            org_file=default_org_path(),
        )
        org = load_org(default_org_path(), ORG_SECTIONS)
        start = datetime.combine(day, time(8, 0))
        clock = ManualClock(start)
        app = build_app(settings, org, clock=clock, announce=False)
        clock.now = start.replace(tzinfo=app.tz)
        names = {p.chat_id: f"私聊 {p.name}" for p in PEOPLE}
        names |= {LEADERSHIP_CHAT: "群聊 领导小组", COORDINATION_CHAT: "群聊 综合组"}
        adapter = DemoAdapter(out, clock, names)
        app.add_adapter(adapter)
        out.write(f"lianfang demo — {org.name} {day.isoformat()}（模拟时钟，临时 SQLite 数据库）\n")
        asyncio.run(_play(app, adapter, clock, out))
        app.engine.dispose()
    return 0
