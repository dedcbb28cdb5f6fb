"""The message catalogs: both languages complete and consistent, every key the code uses defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lianfang.bot.i18n import LANG_EN, LANG_ZH, LANGUAGES, catalog, placeholders, t
from lianfang.bot.types import RAW_KEY, Text

from tests.paths import ROOT

SOURCE_DIRS = ("bot", "handlers", "scheduler")

KEY = r"[a-z][a-z0-9_]*\.[a-z0-9_]*[a-z0-9]"
DIRECT_KEY = re.compile(rf'\b(?:Text|reply|FieldError)\(\s*"({KEY})"')
"""A key passed literally: ``Text("x.y"``, ``ctx.reply("x.y"``, ``FieldError("x.y"``."""
KEY_CONSTANT = re.compile(rf'^\s*[A-Z_]*KEY\s*=\s*"({KEY})"', re.MULTILINE)
"""A key held in a named constant: ``BUTTON_EXPIRED_KEY = "telegram.button_expired"``."""
ANY_KEY_LITERAL = re.compile(rf'"({KEY})"')
"""Any string literal shaped like a key (``header = "report.group_header_late" if ...``)."""
FSTRING_KEY = re.compile(r'\bText\(\s*f"([^"]*)"')
"""A key built by an f-string: ``Text(f"role.{role}")``."""
TEMPLATE_KEY = re.compile(r'"([a-z][a-z0-9_]*\.[a-z0-9_]*\{\w+\}[a-z0-9_]*)"')
"""A key template filled with ``.format``: ``MENU_KEY = "menu.{command}"``."""
COMMAND_NAME = re.compile(r'\bCommand\(\s*"(\w+)"')
CONTROL_COMMANDS = ("cancel", "back", "skip")
ROLE_CONSTANT = re.compile(r'^ROLE_[A-Z_]+ = "(\w+)"', re.MULTILINE)
SYMPTOM_SLICE = re.compile(r"enumerate\(SYMPTOM_WORDS\[:(\d+)\]\)")
HINT_KEYS = ("form.hint_cancel", "form.hint_back_cancel", "form.hint_skip_cancel", "form.hint_skip_back_cancel")
ZH_HALF_WIDTH = re.compile(r"[,;!?()]")
ZH_COLON_EXEMPT = {"lang.choose"}  # a bilingual line, its English half ends with an English colon


def source_files() -> list[Path]:
    """Return every Python file the bot's messages can come from."""
    return sorted(path for folder in SOURCE_DIRS for path in (ROOT / folder).rglob("*.py"))


def roles() -> list[str]:
    """Read the role names from the members model's constants (no import, so a module mid-edit cannot break this)."""
    found = ROLE_CONSTANT.findall((ROOT / "models" / "members.py").read_text(encoding="utf-8"))
    assert found, "no ROLE_* constants found in models/members.py"
    return found


def symptom_count() -> int:
    """Read how many symptom choices the check form labels with ``check.symptom_{i}``."""
    match = SYMPTOM_SLICE.search((ROOT / "handlers" / "checks" / "checks.py").read_text(encoding="utf-8"))
    return int(match.group(1)) if match else 5


def command_names() -> list[str]:
    """Read the chat commands the handlers register, plus the form controls."""
    found = [
        name for path in (ROOT / "handlers").rglob("*.py") for name in COMMAND_NAME.findall(path.read_text("utf-8"))
    ]
    assert found, "no Command(...) found under handlers/"
    return sorted({*found, *CONTROL_COMMANDS})


def computed_families() -> dict[str, list[str]]:
    """Return, for each key the code builds from a pattern, the keys it can produce."""
    return {
        "role.{role}": [f"role.{role}" for role in roles()],
        "check.symptom_{i}": [f"check.symptom_{i}" for i in range(symptom_count())],
        "menu.{command}": [f"menu.{name}" for name in command_names()],
    }


def referenced_keys() -> dict[str, str]:
    """Return every locale key the code refers to, with a file that refers to it."""
    sections = {key.split(".", 1)[0] for key in catalog(LANG_ZH)}
    families = computed_families()
    found: dict[str, str] = {}
    for path in source_files():
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        for key in (*DIRECT_KEY.findall(source), *KEY_CONSTANT.findall(source)):
            found.setdefault(key, where)
        for key in ANY_KEY_LITERAL.findall(source):
            if key.split(".", 1)[0] in sections:
                found.setdefault(key, where)
        for pattern in {*FSTRING_KEY.findall(source), *TEMPLATE_KEY.findall(source)}:
            assert pattern in families, f"{where}: {pattern!r} builds keys this test does not know"
            for key in families[pattern]:
                found.setdefault(key, where)
    return found


def dummy_values(template: str) -> dict[str, str]:
    """Return a value for every placeholder of a template."""
    return {name: f"<{name}>" for name in placeholders(template)}


# -- the catalogs agree with each other -------------------------------------------------------------------------


def test_both_catalogs_have_the_same_keys() -> None:
    zh, en = set(catalog(LANG_ZH)), set(catalog(LANG_EN))
    assert not zh - en, f"missing in en.toml: {sorted(zh - en)}"
    assert not en - zh, f"missing in zh_CN.toml: {sorted(en - zh)}"


def test_each_key_has_the_same_placeholders_in_both_languages() -> None:
    zh, en = catalog(LANG_ZH), catalog(LANG_EN)
    different = {
        key: (placeholders(zh[key]), placeholders(en[key]))
        for key in zh.keys() & en.keys()
        if placeholders(zh[key]) != placeholders(en[key])
    }
    assert different == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_formats_and_none_is_empty(lang: str) -> None:
    for key, template in catalog(lang).items():
        assert template.strip(), f"{lang}: {key} is empty"
        assert template == template.strip(), f"{lang}: {key} has surrounding blanks"
        template.format(**dummy_values(template))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_raw_is_just_the_text(lang: str) -> None:
    assert catalog(lang)[RAW_KEY] == "{text}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_templates_are_safe_for_html_and_markdown(lang: str) -> None:
    # Templates are not escaped (only values are): a stray <, & or * would break Telegram HTML or WeCom markdown.
    unsafe = {key: template for key, template in catalog(lang).items() if re.search(r"[<>&*`]", template)}
    assert unsafe == {}


def test_chinese_uses_full_width_punctuation() -> None:
    half = {
        key: template
        for key, template in catalog(LANG_ZH).items()
        if ZH_HALF_WIDTH.search(template) or (":" in template and key not in ZH_COLON_EXEMPT)
    }
    assert half == {}


# -- the code's keys exist ----------------------------------------------------------------------------------------


def test_the_source_scan_finds_the_keys() -> None:
    found = referenced_keys()
    assert len(found) > 100
    expected = ("check.ask_address", "report.group_header_late", "form.error_int_range", "role.staff", "menu.check")
    for key in (*expected, *HINT_KEYS):
        assert key in found, key


def test_every_key_used_in_the_code_is_defined() -> None:
    zh = catalog(LANG_ZH)
    missing = {key: where for key, where in referenced_keys().items() if key not in zh}
    assert missing == {}


def test_computed_families_are_complete() -> None:
    assert set(roles()) == {"admin", "leader", "group_lead", "reporter", "staff"}
    for keys in computed_families().values():
        for key in keys:
            assert key in catalog(LANG_ZH) and key in catalog(LANG_EN), key


# -- what users read ----------------------------------------------------------------------------------------------


def test_report_lines_read_like_the_daily_summary() -> None:
    missing = t("report.missing_line", LANG_ZH, group="执纪督查组", count=2)
    assert "执纪督查组" in missing and "2" in missing
    title = t("report.title", LANG_ZH, name="五里牌街道", date="2020-01-28")
    assert title.startswith("【五里牌街道") and "2020-01-28" in title
    assert t("report.section_figures", LANG_ZH).startswith("一、")
    assert t("report.section_groups", LANG_ZH).startswith("二、")
    assert t("report.section_missing", LANG_ZH).startswith("三、")
    assert t("report.group_missing", LANG_ZH, group="宣传组") == "【宣传组】未报送"
    assert t("report.addendum_title", LANG_ZH, date="2020-01-28", group="执纪督查组").startswith("【补报】")


def test_nested_texts_render_in_the_readers_language() -> None:
    params = {"name": "张伟", "group": Text.bilingual("排查组", "Screening"), "role": Text("role.staff")}
    zh = t("join.welcome", LANG_ZH, **params)
    en = t("join.welcome", LANG_EN, **params)
    assert "张伟" in zh and "排查组" in zh and "工作人员" in zh
    assert "Screening" in en and "staff" in en and "排查组" not in en


def test_saved_and_alerts_are_marked() -> None:
    assert t("check.saved", LANG_ZH, number=5).startswith("✅") and "5" in t("check.saved", LANG_ZH, number=5)
    for lang in LANGUAGES:
        assert t("alert.title", lang, number=7).startswith("⚠️")
        assert t("alert.no_chat_bound", lang).startswith("⚠️")


def test_strangers_learn_how_to_join() -> None:
    zh = t("common.stranger", LANG_ZH)
    en = t("common.stranger", LANG_EN)
    assert "/join" in zh and "邀请码" in zh and "加入" in zh
    assert "/join" in en and "invite" in en.lower()


def test_hints_name_the_commands_they_offer() -> None:
    for lang in LANGUAGES:
        for key in HINT_KEYS:
            hint = t(key, lang)
            assert "/cancel" in hint, (lang, key)
            assert ("/skip" in hint) == ("skip_" in key), (lang, key)
            assert ("/back" in hint) == ("back_" in key), (lang, key)


def test_button_labels_people_tap() -> None:
    # The demo script and the transcript tests tap these labels; keep them in step with the catalog.
    assert t("form.button_submit", LANG_ZH) == "提交"
    assert t("check.history_wuhan", LANG_ZH) == "武汉旅居史"
    assert t("check.measure_referred", LANG_ZH) == "转诊发热门诊"
    assert t("daily.button_fill", LANG_ZH) == "填报"
    assert t("daily.button_nil", LANG_ZH) == "无新情况"
    for lang in LANGUAGES:
        assert t("lang.name_en", lang) == "English" and t("lang.name_zh", lang) == "中文"


def test_plain_text_choices_and_actions() -> None:
    assert t("render.choice", LANG_ZH, number=1, label="朝阳社区") == "1. 朝阳社区"
    action = t("render.action", LANG_ZH, label="取消", command="/cancel")
    assert "取消" in action and "/cancel" in action
    prompt = t("check.ask_address", LANG_ZH)
    assert "3栋2单元501" in prompt
