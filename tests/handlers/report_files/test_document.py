"""The .docx: the district's layout, 仿宋/黑体 set for east-asian text, page numbers, the figures table."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from lianfang.handlers.report_files.content import ReportContent
from lianfang.handlers.report_files.document import BODY_FONT, HEADING_FONT, build_docx

from tests.handlers.report_files.conftest import sample_content


def paragraphs(data: bytes) -> list[str]:
    """Return the document's paragraphs' text."""
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_title_issue_signature_and_numbered_sections(content: ReportContent) -> None:
    text = paragraphs(build_docx(content))
    assert text[0] == "五里牌街道新型冠状病毒感染的肺炎疫情防控工作日报"
    assert text[1] == "第4期　2020-01-28"
    assert text[2] == "报送单位：五里牌街道疫情防控指挥部　　签发人：王建国　　联系人：龙雅俐 0731-84512345"
    headings = [line for line in text if line[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、疫情变化", "二、各工作组工作情况", "三、存在问题及下步工作"]
    assert "【排查组】报送人：周强（15:10）" in text


def test_an_update_says_so() -> None:
    assert paragraphs(build_docx(sample_content(updated=True)))[1] == "第4期　2020-01-28（更新版）"


def test_east_asian_fonts_are_named_for_word_and_wps(content: ReportContent) -> None:
    doc = Document(io.BytesIO(build_docx(content)))
    title_fonts = doc.paragraphs[0].runs[0]._element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) == HEADING_FONT
    body = next(p for p in doc.paragraphs if p.text.startswith("今日排查登记"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == BODY_FONT
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == BODY_FONT


def test_footer_numbers_the_pages(content: ReportContent) -> None:
    doc = Document(io.BytesIO(build_docx(content)))
    footer = doc.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("第 ") and footer.text.endswith(" 页")
    instructions = [node.text for node in footer._element.iter(qn("w:instrText"))]
    assert instructions == [" PAGE "]


def test_the_figures_table_holds_the_day(content: ReportContent) -> None:
    [table] = Document(io.BytesIO(build_docx(content))).tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["项目", "数值"]
    assert ["当日排查登记（人）", "30"] in rows
    assert ["累计确诊", "5"] in rows
    assert len(rows) == 1 + 12 + 6
