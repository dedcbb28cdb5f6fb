"""``lianfang doctor`` for WeCom: the credentials (``gettoken``), the app (``agent/get``) and the callback URL."""

from __future__ import annotations

import secrets
import time

import httpx
from defusedxml.ElementTree import fromstring
from lianfang.bot.checkup import Finding, fail, ok, skip
from lianfang.bot.platforms.wecom.api import (
    ERR_OK,
    PATH_AGENT_GET,
    REQUEST_TIMEOUT_SECONDS,
    ApiError,
    ApiUnreachable,
    WeComApi,
    errcode,
    setup_hint,
)
from lianfang.bot.platforms.wecom.routes import WECOM_PATH
from lianfang.bot.platforms.wecom.settings import WeComSettings
from wechatpy.enterprise.crypto import WeChatCrypto

TOKEN = "wecom gettoken"
AGENT = "wecom agent"
CALLBACK = "wecom callback URL"
FIX_UNREACHABLE = "check this server's network and LIANFANG_WECOM_API_BASE_URL"
ECHO_PREFIX = "lianfang-doctor-"


async def examine_wecom(settings: WeComSettings) -> list[Finding]:
    """Get a token, read the app, and call this server's callback URL from outside, a finding each."""
    assert settings.wecom_corp_id and settings.wecom_agent_id is not None and settings.wecom_secret is not None
    api = WeComApi(
        corp_id=settings.wecom_corp_id,
        agent_id=settings.wecom_agent_id,
        secret=settings.wecom_secret.get_secret_value(),
        base_url=settings.wecom_api_base_url,
    )
    try:
        return [*(await _credentials(api)), await _callback(settings)]
    finally:
        await api.close()


async def _credentials(api: WeComApi) -> list[Finding]:
    try:
        token = await api.access_token()
    except ApiError as error:
        return [fail(TOKEN, f"refused ({error.errcode})", _fix(error, api.agent_id)), skip(AGENT, "no token")]
    except ApiUnreachable as error:
        return [fail(TOKEN, f"API not reachable ({error})", FIX_UNREACHABLE), skip(AGENT, "no token")]
    found = [ok(TOKEN, f"corp {api.corp_id}: token issued")]
    try:
        answer = await api.request("GET", PATH_AGENT_GET, {"access_token": token, "agentid": str(api.agent_id)})
    except ApiUnreachable as error:
        return [*found, fail(AGENT, f"API not reachable ({error})", FIX_UNREACHABLE)]
    if errcode(answer) != ERR_OK:
        refused = ApiError(errcode(answer), str(answer.get("errmsg", "")))
        return [*found, fail(AGENT, f"app {api.agent_id} refused ({refused.errcode})", _fix(refused, api.agent_id))]
    return [*found, ok(AGENT, f"app {api.agent_id} ({answer.get('name', '')})")]


def _fix(error: ApiError, agent_id: int) -> str:
    return setup_hint(error, agent_id) or f"WeCom answered {error.errcode} {error.errmsg}: see its error code list"


async def _callback(settings: WeComSettings) -> Finding:
    """Verify the callback URL as WeCom does when an admin saves it: a signed, encrypted echo must come back."""
    base = getattr(settings, "public_base_url", None)
    if not base:
        return skip(CALLBACK, f"unknown: set LIANFANG_PUBLIC_BASE_URL (the app's 接收消息 URL is it + {WECOM_PATH})")
    assert settings.wecom_token is not None and settings.wecom_aes_key is not None and settings.wecom_corp_id
    crypto = WeChatCrypto(
        settings.wecom_token.get_secret_value(), settings.wecom_aes_key.get_secret_value(), settings.wecom_corp_id
    )
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    echo = f"{ECHO_PREFIX}{secrets.token_hex(8)}"
    envelope = {child.tag: child.text or "" for child in fromstring(crypto.encrypt_message(echo, nonce, timestamp))}
    params = {"msg_signature": envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    url = f"{base}{WECOM_PATH}"
    try:
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
            answer = await client.get(url, params={**params, "echostr": envelope["Encrypt"]})
    except httpx.HTTPError as error:
        return fail(
            CALLBACK,
            f"{url} not reachable ({type(error).__name__})",
            "start lianfang run, and open the port or proxy so this URL reaches it",
        )
    if answer.status_code == httpx.codes.OK and answer.text == echo:
        return ok(CALLBACK, f"{url} answers WeCom's URL check")
    if answer.status_code == httpx.codes.FORBIDDEN:
        return fail(
            CALLBACK,
            f"{url} refused a signed URL check (HTTP 403)",
            "make LIANFANG_WECOM_TOKEN and LIANFANG_WECOM_AES_KEY the app's 接收消息 Token and EncodingAESKey",
        )
    return fail(CALLBACK, f"{url} answered HTTP {answer.status_code}, not lianfang", "point the URL at lianfang run")
