"""Fixtures of the WeCom tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from lianfang.bot.platforms.wecom import wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter

from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.platforms.wecom.support import SETTINGS


@pytest.fixture
async def served(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[tuple[Harness, WeComAdapter]]:
    """A real App with the bundled org, serving WeCom through the fake, its token cached in the database."""
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    yield harness, wecom
    await harness.app.stop()
    harness.app.engine.dispose()
