"""Fixtures of the WeCom tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from lianfang.bot.platforms.wecom.adapter import WeComAdapter

from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.platforms.wecom.support import served_wecom


@pytest.fixture
async def served(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[tuple[Harness, WeComAdapter]]:
    """A real App with the bundled org, serving WeCom through the fake, its token cached in the database."""
    harness, wecom = await served_wecom(database_url, fake_wecom)
    yield harness, wecom
    await harness.app.stop()
    harness.app.engine.dispose()
