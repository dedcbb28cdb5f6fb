"""The history field: contact with a case, Wuhan, other travel, or none; the strongest wins."""

from __future__ import annotations

import re

from lianfang.handlers.shared.freetext.symptoms import about_everyone
from lianfang.handlers.shared.freetext.text import Message, alternation
from lianfang.handlers.shared.masking import HISTORY_CONTACT, HISTORY_NONE, HISTORY_OTHER, HISTORY_WUHAN

CASE = r"(?:确诊|疑似)"
CONTACT = re.compile(
    r"(?=[密接与和确疑老丈妻家同爱父母儿女室cC])"  # first characters: see text.alternation
    rf"(?:密切接触|密接|接触过?的?{CASE}|与{CASE}|和{CASE}|{CASE}(?:病例|病人|患者)?的?(?:密接|密切接触)"
    rf"|(?:老公|老婆|丈夫|妻子|家人|同事|爱人|同住人?|父亲|母亲|儿子|女儿|室友)(?:是|为)?{CASE}"
    r"|close contact|contact with (?:a )?(?:confirmed|suspected))",
    re.I,
)
CONTACT_DENIED = re.compile(r"没有接触|没接触|无接触|未接触|no contact")
"""The person says they had no contact: a case mentioned nearby is not their history."""
WUHAN = re.compile(r"(?=[武汉wWhH])(?:武汉|汉口|武昌|汉阳|wuhan|hankou|wuchang)", re.I)
PLACES = (
    "湖北|孝感|黄冈|十堰|宜昌|荆州|襄阳|随州|咸宁|鄂州|黄石|荆门|恩施|仙桃|天门|潜江|岳阳|株洲|湘潭|常德|衡阳|益阳|"
    "郴州|邵阳|娄底|怀化|永州|张家界|湘西|北京|上海|天津|重庆|广州|深圳|东莞|广东|浙江|温州|杭州|宁波|江西|南昌|"
    "九江|四川|成都|河南|信阳|南阳|郑州|江苏|南京|苏州|福建|厦门|福州|安徽|合肥|山东|青岛|济南|河北|山西|陕西|"
    "西安|云南|昆明|贵州|贵阳|广西|南宁|海南|三亚|东北|新疆|香港|澳门|台湾|国外|外地|外省|出差|返湘|返长|"
    "beijing|shanghai|guangzhou|shenzhen|hubei|changde|yueyang|zhuzhou|xiangtan|hangzhou|chengdu|abroad|xiaogan|"
    "huanggang|shiyan|yichang|jingzhou|xiangyang|suizhou|xianning|ezhou|huangshi|jingmen|enshi|xiantao|tianmen|"
    "qianjiang|hengyang|yiyang|chenzhou|shaoyang|loudi|huaihua|yongzhou|zhangjiajie|chongqing|tianjin|nanjing|"
    "guangdong|zhejiang|jiangxi|henan|hong kong|overseas"
)
OTHER_PLACE = re.compile(alternation(PLACES.split("|")), re.I)
RETURNEE = re.compile(r"(?:回来|返乡|返回|过来|来)的?(?:亲戚|人员|人|朋友|同事|家人|老乡)|接触史|人员")
NATIVE = re.compile(r"^人(?![员])")
NATIVE_BEFORE = re.compile(r"(?:老家|籍贯|户籍|祖籍|老家在|原籍)\s*$")
"""``武汉人``, ``老家武汉``: where someone is from, not where they went."""
NONE = re.compile(
    r"(?=[无没未冇不一在都接旅长近sndSND])"  # first characters: see text.alternation
    r"(?:无外出|没有外出|未外出|没外出|没出门|没出过门|冇出门|冇出过门|没有出门|不出门|未出门|一直在家|一直屋里|"
    r"(?:没|冇|未|无|不)有?(?:出过?门|出去过?|外出过?)|一直待在家|一直呆在家|冇人出过?门|没人出过?门|在长沙过年|留在长沙|过年没走|没离开过?|一直在屋里?|在屋里没出|在家没出|都没出门|没出去过|没有出去过?|冇出去过?|没出去|冇人出去过|没人出去过|都没出去|未出过门|"
    r"无.{0,10}旅居史|无.{0,10}接触史|(?:接触史|旅居史)\s*[:：]?\s*无|"
    r"没去过|没有去过|冇去过|未去过|没有接触|没接触|无接触|未接触|一直在长沙|长沙本地|没出长沙|没离开长沙|未离开|"
    r"没回去|没有回去|近\d+天无外出|stayed home|stay(?:ed)? at home|never left home|no travel|no contact|"
    r"didn'?t travel|not travel)",
    re.I,
)
NEGATION_BEFORE = re.compile(
    r"(?:没有?去过|冇去过|未去过|没有?接触过?|未接触过?|无|没|冇|未)$"
    r"|\b(?:no|not|never|hasn'?t|haven'?t)\s+(?:been\s+)?(?:to\s+|travel\w*\s+(?:to\s+)?)?$",
    re.I,
)
ANSWER_NO = re.compile(r"吗\s*[?？]?\s*(?:说|答)?\s*(?:没有|没去过|没|不)")
BEFORE_WINDOW = 16
RETURNEE_CONTACT = "returnee"
"""Contact with someone back from Wuhan who is not a case: ``other``, unless the person denies any contact."""
RANK = (HISTORY_CONTACT, HISTORY_WUHAN, HISTORY_OTHER, HISTORY_NONE)
"""When several apply, the first of these wins."""


def _own(message: Message, start: int, end: int) -> bool:
    return not message.is_other(start) or about_everyone(message, start, end)


def _negated(message: Message, start: int, end: int) -> bool:
    before = message.folded[max(0, start - BEFORE_WINDOW) : start]
    clause = message.folded[message.clause_start(start) : start]
    if NEGATION_BEFORE.search(before) or NEGATION_BEFORE.search(clause):
        return True
    return bool(ANSWER_NO.search(message.folded[end : end + 10]))


def _place(message: Message, match: re.Match[str], found: set[str], category: str, denials: list[range]) -> None:
    start, end = match.span()
    text = message.folded
    if NATIVE.match(text[end:]) or NATIVE_BEFORE.search(text[max(0, start - 4) : start]):
        return
    if RETURNEE.match(text, end) or RETURNEE.match(text[end:].lstrip("从")):
        found.add(HISTORY_NONE if _negated(message, start, end) else RETURNEE_CONTACT)
        return
    if _negated(message, start, end) or any(start in denial for denial in denials):
        found.add(HISTORY_NONE)
        return
    if _own(message, start, end):
        found.add(category)
    elif re.search(r"回|返", text[end : end + 6]):
        found.add(RETURNEE_CONTACT)  # someone near the person came back from there


def read_history(message: Message) -> str | None:
    """Return the strongest history the message gives of the person, or None when it gives none."""
    text = message.masked
    found: set[str] = set()
    for match in CONTACT.finditer(text):
        # contact with a case is the person's history, whoever the case is
        if not NEGATION_BEFORE.search(message.folded[max(0, match.start() - 4) : match.start()]):
            found.add(HISTORY_CONTACT)
    denials = [range(match.start(), match.end()) for match in NONE.finditer(text)]  # 无武汉及湖北旅居史
    for match in WUHAN.finditer(text):
        _place(message, match, found, HISTORY_WUHAN, denials)
    for match in OTHER_PLACE.finditer(text):
        _place(message, match, found, HISTORY_OTHER, denials)
    for match in NONE.finditer(text):
        if _own(message, match.start(), match.end()):
            found.add(HISTORY_NONE)
            if CONTACT_DENIED.fullmatch(match.group(0)):
                found -= {HISTORY_CONTACT, RETURNEE_CONTACT}  # 和确诊病人是邻居 无接触
    if RETURNEE_CONTACT in found:
        found.discard(RETURNEE_CONTACT)
        found.add(HISTORY_OTHER)
    return next((category for category in RANK if category in found), None)
