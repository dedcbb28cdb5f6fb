"""How WeCom chats are addressed: a member's UserID, ``appchat:<chatid>`` or ``webhook:<key>``.

- a member's UserID (``zhangsan``): a private app message (``message/send``);
- ``appchat:<chatid>``: a group chat created by the app (``appchat/create`` / ``appchat/send``);
- ``webhook:<key>``: a group robot (``webhook/send``). The key lets anyone post to the group; keep it private.

UserIDs are letters, digits, ``-``, ``_`` and ``.``, so the prefixes cannot clash with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx

PATH_WEBHOOK_SEND = "/cgi-bin/webhook/send"
APPCHAT_PREFIX = "appchat:"
WEBHOOK_PREFIX = "webhook:"
TARGET_USER = "user"
TARGET_APPCHAT = "appchat"
TARGET_ROBOT = "robot"
USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
"""A WeCom UserID (``@`` admitted for the odd legacy account); anything else is never @mentioned."""
ROBOT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
"""A group robot's webhook key (a UUID in practice)."""
ROBOT_KEY_PARAM = "key"


def appchat_chat_id(chatid: str) -> str:
    """Return the ``ChatRef.chat_id`` of a group chat created by the app."""
    return APPCHAT_PREFIX + chatid


def robot_chat_id(key: str) -> str:
    """Return the ``ChatRef.chat_id`` of a group robot, from the ``key`` of its webhook URL."""
    return WEBHOOK_PREFIX + key


def robot_key(text: str) -> str:
    """Return a group robot's key from its webhook URL as WeCom shows it, or from the key alone.

    ValueError says why anything else (``appchat:...``, a URL without ``key=``) is not a robot.
    """
    text = text.strip()
    if text.startswith(WEBHOOK_PREFIX):
        text = text.removeprefix(WEBHOOK_PREFIX)
    if "://" in text:
        url = httpx.URL(text)
        if not url.path.endswith(PATH_WEBHOOK_SEND):
            raise ValueError(f"not a group robot's webhook address (its path ends in {PATH_WEBHOOK_SEND})")
        text = url.params.get(ROBOT_KEY_PARAM, "")
    if not ROBOT_KEY.match(text):
        raise ValueError(
            "give the robot's webhook address as WeCom shows it (…/cgi-bin/webhook/send?key=…) or its key; "
            "a group chat of the app is bound with `lianfang wecom bind-chat`"
        )
    return text


def appchat_id(text: str) -> str:
    """Return the chatid of a group chat of the app, given as ``appchat:<chatid>`` or the chatid alone."""
    chatid = text.strip().removeprefix(APPCHAT_PREFIX)
    if not chatid or not USER_ID.match(chatid) or chatid.startswith(WEBHOOK_PREFIX) or "://" in chatid:
        raise ValueError(
            "give the chat id `lianfang wecom create-chat` printed; a group robot is bound with "
            "`lianfang wecom bind-robot`"
        )
    return chatid


def target_of(chat_id: str) -> tuple[str, str]:
    """Return (kind, address) of a chat id: a member's UserID, an app group chat or a group robot."""
    if chat_id.startswith(APPCHAT_PREFIX):
        return TARGET_APPCHAT, chat_id.removeprefix(APPCHAT_PREFIX)
    if chat_id.startswith(WEBHOOK_PREFIX):
        return TARGET_ROBOT, chat_id.removeprefix(WEBHOOK_PREFIX)
    return TARGET_USER, chat_id


def mentionable(users: Iterable[str]) -> list[str]:
    """Return the UserIDs that can be @mentioned, each once."""
    return list(dict.fromkeys(user for user in users if USER_ID.match(user)))
