"""The context a command is given: a member's command never sees a stranger, an open command sees both."""

from __future__ import annotations

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command, OpenCommand

from tests.fakes import Harness, keys_of

WHOAMI = "whoami"
KNOCK = "knock"


async def test_a_members_command_gets_a_member_context_and_strangers_are_told_to_join(harness: Harness) -> None:
    seen: list[tuple[type[Context], str | None, int | None]] = []

    def note(ctx: Context) -> None:
        """Note what the handler was given, while its transaction is open."""
        member = ctx.member
        seen.append((type(ctx), member.name if member is not None else None, ctx.member_id))
        ctx.reply("common.empty")

    def whoami(ctx: MemberContext, _args: str) -> None:
        note(ctx)

    def knock(ctx: Context, _args: str) -> None:
        note(ctx)

    commands = harness.app.dispatcher.commands
    commands[WHOAMI], commands[KNOCK] = Command(WHOAMI, whoami), OpenCommand(KNOCK, knock)
    member = await harness.member("周强", "screening", "reporter")
    stranger = harness.private("路人")

    assert keys_of(await stranger.say(f"/{WHOAMI}")) == ["common.stranger"] and seen == []
    assert keys_of(await member.say(f"/{WHOAMI}")) == ["common.empty"]
    kind, name, member_id = seen[-1]
    assert kind is MemberContext and name == "周强" and member_id is not None
    await stranger.say(f"/{KNOCK}")
    assert seen[-1] == (Context, None, None)
    await member.say(f"/{KNOCK}")
    assert seen[-1] == (MemberContext, "周强", member_id)


async def test_a_stranger_who_joins_is_answered_as_the_member_they_became(harness: Harness) -> None:
    chat = harness.private("")  # no name known: the name form starts within the joining message
    code = harness.invite("screening", "reporter")
    answered = await chat.say(f"/join {code}")
    assert "name.welcome" in keys_of(answered) and "name.ask" in keys_of(answered)
    assert keys_of(await chat.say("周强")) == ["name.saved"]
