"""The message catalogs: both languages complete and consistent, every key the code uses defined."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from lianfang.bot.i18n import LANG_EN, LANG_ZH, LANGUAGES, catalog, placeholders, t
from lianfang.bot.types import RAW_KEY, Text

from tests.paths import ROOT

SOURCE_DIRS = ("bot", "handlers", "scheduler")

KEY = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9_]*[a-z0-9]")
KEY_TAKERS = frozenset({"Text", "reply", "refuse", "FieldError", "TextError", "t"})
"""Callables whose positional arguments are locale keys: ``Text("x.y")``, ``ctx.reply("x.y", ...)``."""
KEY_CONSTANT_SUFFIX = "KEY"
"""A name ending so holds one key: ``BUTTON_EXPIRED_KEY = "telegram.button_expired"``."""
HINT_KEYS = ("form.hint_cancel", "form.hint_back_cancel", "form.hint_skip_cancel", "form.hint_skip_back_cancel")
ZH_HALF_WIDTH = re.compile(r"[,;!?()]")
ZH_COLON_EXEMPT = {"lang.choose"}  # a bilingual line, its English half ends with an English colon


def source_files() -> list[Path]:
    """Return every Python file the bot's messages can come from."""
    return sorted(path for folder in SOURCE_DIRS for path in (ROOT / folder).rglob("*.py"))


def call_name(node: ast.Call) -> str | None:
    """Return the name a call is made by: ``Text`` for ``Text(...)``, ``reply`` for ``ctx.reply(...)``."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def constant_keys(node: ast.expr) -> list[str] | None:
    """Return the keys an expression is when it is literal (a string, or either branch of ``a if c else b``).

    None when it is not literal; a literal that is no key gives an empty list.
    """
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) and KEY.fullmatch(node.value) else []
    if isinstance(node, ast.IfExp):
        body, orelse = constant_keys(node.body), constant_keys(node.orelse)
        return None if body is None or orelse is None else [*body, *orelse]
    return None


def is_built(node: ast.expr) -> bool:
    """Tell whether an expression builds a string: an f-string, ``+`` or ``%``, or ``.format(...)``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def key_table(node: ast.expr) -> list[str]:
    """Return the values of a dict, tuple, list or set literal whose values are all locale keys (a key table)."""
    if isinstance(node, ast.Dict):
        values = node.values
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = node.elts
    else:
        return []
    keys = [constant_keys(value) for value in values]
    if not values or any(found is None or len(found) != 1 for found in keys):
        return []
    return [found[0] for found in keys if found]


class KeyScan(ast.NodeVisitor):
    """Collect the locale keys one module uses, and the places where it builds one."""

    def __init__(self, sections: set[str]) -> None:
        self.sections = sections
        self.keys: list[tuple[str, int]] = []
        self.built: list[tuple[int, str]] = []

    def visit_Call(self, node: ast.Call) -> None:
        if call_name(node) in KEY_TAKERS:
            arguments = node.args if call_name(node) in ("reply", "refuse") else node.args[:1]
            for argument in arguments:
                if is_built(argument):
                    self.built.append((node.lineno, ast.unparse(argument)))
                self.keys += [(key, node.lineno) for key in constant_keys(argument) or []]
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        if any(name.endswith(KEY_CONSTANT_SUFFIX) for name in names):
            self.keys += [(key, node.lineno) for key in constant_keys(node.value) or []]
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        self._table(node)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._table(node)

    def visit_List(self, node: ast.List) -> None:
        self._table(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # A key held in a variable first (``header = "report.group_header_late" if late else ...``).
        if isinstance(node.value, str) and KEY.fullmatch(node.value) and node.value.split(".")[0] in self.sections:
            self.keys.append((node.value, node.lineno))

    def _table(self, node: ast.Dict | ast.Tuple | ast.List) -> None:
        table = key_table(node)
        if any(key.split(".")[0] in self.sections for key in table):
            self.keys += [(key, node.lineno) for key in table]
        self.generic_visit(node)


def scan(path: Path) -> KeyScan:
    """Read one module's keys from its syntax tree."""
    found = KeyScan({key.split(".", 1)[0] for key in catalog(LANG_ZH)})
    found.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def referenced_keys() -> dict[str, str]:
    """Return every locale key the code refers to, with the place that refers to it."""
    found: dict[str, str] = {}
    for path in source_files():
        where = str(path.relative_to(ROOT))
        for key, line in scan(path).keys:
            found.setdefault(key, f"{where}:{line}")
    return found


def built_keys() -> list[str]:
    """Return where a key passed to ``Text``, ``reply`` and the like is built rather than written out."""
    return [f"{path.relative_to(ROOT)}:{line}: {code}" for path in source_files() for line, code in scan(path).built]


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
    expected = (
        "check.ask_address",  # Text("...") in a list
        "report.group_header_late",  # held in a variable first
        "form.error_int_range",  # FieldError("...")
        "role.staff",  # a key table's value
        "check.symptom_4",  # a tuple of keys
        "files.already_cancelled",  # a dict chosen from by an outcome
        "common.stranger",  # ctx.reply("...")
        "menu.check",  # a menu entry's label
    )
    for key in (*expected, *HINT_KEYS):
        assert key in found, key


def test_the_source_scan_reads_each_way_of_naming_a_key() -> None:
    source = """
CLOSED_KEYS = {"done": "tests.closed_done", "lost": "tests.closed_lost"}
BUTTON_KEY = "tests.button"
ORDER = ("tests.first", "tests.second")
def answer(ctx, late):
    ctx.reply("tests.reply", Text("tests.second_line"), count=2)
    header = "tests.late" if late else "tests.on_time"
    raise FieldError("tests.field")
    ctx.reply(f"tests.built_{late}")
    Text("tests." + late)
"""
    found = KeyScan({"tests"})
    found.visit(ast.parse(source))
    assert {key for key, _ in found.keys} == {
        "tests.closed_done",
        "tests.closed_lost",
        "tests.button",
        "tests.first",
        "tests.second",
        "tests.reply",
        "tests.second_line",
        "tests.late",
        "tests.on_time",
        "tests.field",
    }
    assert [line for line, _ in found.built] == [9, 10]


def test_keys_are_written_out_never_built() -> None:
    assert built_keys() == [], "choose among literal keys with a dict instead"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_in_the_code_is_defined(lang: str) -> None:
    known = catalog(lang)
    missing = {key: where for key, where in referenced_keys().items() if key not in known}
    assert missing == {}


# -- what users read ----------------------------------------------------------------------------------------------


def test_report_lines_read_like_the_daily_summary() -> None:
    missing = t("report.missing_line", LANG_ZH, group="执纪督查组", count=2)
    assert "执纪督查组" in missing and "2" in missing
    title = t("report.title", LANG_ZH, name="五里牌街道", date="2020-01-28")
    assert title.startswith("【五里牌街道") and "2020-01-28" in title
    third = t("report.section_numbered", LANG_ZH, number=Text("report.section_3"), title=Text("report.section_missing"))
    assert third == "三、未报"
    second = t("report.section_numbered", LANG_EN, number=Text("report.section_2"), title=Text("report.section_groups"))
    assert second == "2. Work of each group"
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
