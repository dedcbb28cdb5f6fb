"""The measure field: the person's current disposal; a later one replaces an earlier one."""

from __future__ import annotations

import re

from lianfang.handlers.shared.freetext.symptoms import about_everyone
from lianfang.handlers.shared.freetext.text import Message
from lianfang.models.checks import MEASURE_CENTRAL, MEASURE_HOME, MEASURE_NONE, MEASURE_REFERRED

MEASURES = re.compile(
    r"(?=[居集在解观隔期无不措处别送转去到已前就看住1lorcqhsfLORCQHSF])"  # first characters: see text.alternation
    r"(?:(?P<none>(?:居家|集中|在家)(?:医学)?(?:观察|隔离)已?(?:结束|期满)|解除(?:居家|集中)?(?:医学)?(?:观察|隔离|管控)|观察结束|隔离结束|(?:隔离|观察)?期满(?:解除)?|解除|"
    r"无需隔离|不需要隔离|不用隔离了|无需(?:采取)?措施|不需要采取措施|(?:措施|处置)\s*[:：]?\s*(?:正常|无)(?![症])|"
    r"lifted(?: observation)?|observation lifted|released)"
    r"|(?P<central>集中(?:医学)?(?:观察|隔离)点?|隔离酒店|隔离点|central(?:ized)? quarantine|quarantine hotel)"
    r"|(?P<home>居家(?:医学)?(?:观察|隔离)?|在家(?:医学)?(?:观察|隔离)|别出门|不要出门|别出去|不要出去|不准出门|"
    r"home obs(?:ervation)?|home quarantine|home isolation|self[- ]isolat\w*)"
    r"|(?P<referred>(?:送|转|去|到|已去|送往|转至|转到|转往|转入|前往)(?!过)(?:了)?[\u4e00-\u9fff]{0,8}?"
    r"(?:发热门诊|医院|卫生服务中心|卫生院|诊所)|"
    r"转诊|送医院|送医|就医|就诊|看医生|去医院|到医院|住院|(?<!\d)120(?!\d)|fever clinic|hospital|referred|"
    r"see a doctor))",
    re.I,
)
KINDS = {"none": MEASURE_NONE, "central": MEASURE_CENTRAL, "home": MEASURE_HOME, "referred": MEASURE_REFERRED}
NEGATED_BEFORE = re.compile(r"(?:不用|不需要|无需|不要|没有|没|未|不必|不|no|not)\s*(?:去|送|住)?\s*$", re.I)
UNDONE_AFTER = re.compile(r"^\S{0,6}?\s*(?:后来)?\s*(?:不用了|不去了|没去|取消)")
CONDITIONAL = re.compile(r"如有|如果|若|一旦|如出现|万一|要是|if\b", re.I)
QUESTION = re.compile(r"要不要|是否|需不需要|用不用|问|吗|[?？]")
VISITED = re.compile(r"去过|看过|回来")
BEFORE_WINDOW = 6


def read_measure(message: Message) -> str | None:
    """Return the last measure the message takes for the person, or None when it takes none."""
    text = message.masked
    measure: str | None = None
    for match in MEASURES.finditer(text):
        start, end = match.span()
        kind = match.lastgroup or ""
        before = message.folded[max(0, start - BEFORE_WINDOW) : start]
        clause = message.folded[message.clause_start(start) : start]
        after = message.folded[end : end + 10]
        if kind != "none" and NEGATED_BEFORE.search(before):
            continue
        if CONDITIONAL.search(clause) or QUESTION.search(clause) or re.match(r"^\s*[吗?？]", after):
            continue
        if UNDONE_AFTER.match(after) or (kind == "referred" and VISITED.match(after)):
            continue
        if message.is_other(start) and not about_everyone(message, start, end):
            continue
        measure = KINDS[kind]
    return measure
