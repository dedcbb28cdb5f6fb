"""A file given as a form's answer is kept only while a record may hold it: cancel, back, edit and expiry drop it."""

from __future__ import annotations

import re

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.supervision.test_attachments import PHOTO, attachment_ids, kept, open_at_the_attachment


async def test_cancelling_the_form_deletes_the_photo_it_was_given(harness: Harness) -> None:
    leader, _lead = await open_at_the_attachment(harness)
    await leader.send_file("批示.jpg", PHOTO)
    assert len(kept(harness)) == 1
    assert keys_of(await leader.say("取消"))[0] == "form.cancelled"
    assert kept(harness) == []


async def test_going_back_over_the_photo_deletes_it_and_a_new_one_is_kept_instead(harness: Harness) -> None:
    leader, _lead = await open_at_the_attachment(harness)
    await leader.send_file("批示.jpg", PHOTO)
    assert keys_of(await leader.say("返回"))[0] == "supervision.ask_attachment"
    assert kept(harness) == []
    await leader.send_file("批示2.jpg", PHOTO + b"2")
    [file] = kept(harness)
    assert file.file_name == "批示2.jpg"


async def test_editing_the_photo_at_the_summary_keeps_only_the_new_one(harness: Harness) -> None:
    leader, _lead = await open_at_the_attachment(harness)
    await leader.send_file("批示.jpg", PHOTO)
    await leader.say("跳过")
    summary = await leader.say("一般")
    [line] = [line for line in texts_of(summary).splitlines() if "批示.jpg" in line]
    number = re.match(r"（(\d+)）", line)
    assert number is not None
    assert keys_of(await leader.say(f"修改 {number[1]}"))[0] == "supervision.ask_attachment"
    assert kept(harness) == []
    await leader.send_file("批示2.jpg", PHOTO + b"2")
    await leader.say("提交")
    [file] = kept(harness)
    assert attachment_ids(harness) == [file.id] and file.file_name == "批示2.jpg"


async def test_an_expired_draft_takes_its_photo_with_it(harness: Harness) -> None:
    leader, _lead = await open_at_the_attachment(harness)
    await leader.send_file("批示.jpg", PHOTO)
    harness.advance(hours=3)
    await harness.tick()
    assert "form.expired" in keys_of(leader.unread())
    assert kept(harness) == []
