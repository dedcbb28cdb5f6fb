"""The daily report as a .docx in the usual layout of a 街道's report to the district (python-docx)."""

from __future__ import annotations

import io
from typing import cast

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from docx.styles.style import CharacterStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lianfang.handlers.report_files.content import ReportContent

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
"""Word and WPS read the east-asian font from ``w:eastAsia``; ``font.name`` alone sets only the Latin one."""
TITLE_SIZE = Pt(22)  # 二号
HEADING_SIZE = Pt(16)  # 三号
BODY_SIZE = Pt(16)  # 三号, as in 党政机关公文格式
SMALL_SIZE = Pt(12)  # 小四
FIRST_LINE_INDENT = Pt(32)  # two characters of 三号
PAGE_FIELD = "PAGE"
FIELD_MARK = "\x00"
TABLE_STYLE = "Table Grid"


def set_fonts(styled: Run | CharacterStyle, east_asian: str, size: Length | None = None) -> None:
    """Set a style's or a run's Latin and east-asian font names (and size)."""
    styled.font.name = LATIN_FONT
    if size is not None:
        styled.font.size = size
    fonts = styled._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _paragraph(
    doc: WordDocument,
    text: str,
    *,
    font: str = BODY_FONT,
    size: Length = BODY_SIZE,
    bold: bool = False,
    center: bool = False,
    indent: bool = False,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT
    run = paragraph.add_run(text)
    run.bold = bold
    set_fonts(run, font, size)
    return paragraph


def _page_number(paragraph: Paragraph, template: str) -> None:
    """Write a footer line like 第 {page} 页, the page being a field Word and WPS fill in."""
    before, _, after = template.partition(FIELD_MARK)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(paragraph.add_run(before), BODY_FONT, SMALL_SIZE)
    run = paragraph.add_run()
    set_fonts(run, BODY_FONT, SMALL_SIZE)
    for kind, text in (("begin", None), (None, PAGE_FIELD), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == PAGE_FIELD:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = f" {PAGE_FIELD} "
            run._r.append(instruction)
        else:
            shown = OxmlElement("w:t")
            shown.text = text
            run._r.append(shown)
    set_fonts(paragraph.add_run(after), BODY_FONT, SMALL_SIZE)


def _figures_table(doc: WordDocument, content: ReportContent) -> None:
    rows = content.figure_rows()
    table = doc.add_table(rows=len(rows) + 1, cols=2)
    table.style = TABLE_STYLE
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = (content.text("report_files.column_item"), content.text("report_files.column_value"))
    for row, (label, value) in zip(table.rows, [header, *rows], strict=True):
        for cell, text in zip(row.cells, (label, str(value)), strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            set_fonts(run, HEADING_FONT if row is table.rows[0] else BODY_FONT, SMALL_SIZE)


def build_docx(content: ReportContent) -> bytes:
    """Write the report as a .docx: title, issue and date, signature, numbered sections, figures, page numbers."""
    doc = new_document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    set_fonts(cast(CharacterStyle, doc.styles["Normal"]), BODY_FONT, BODY_SIZE)
    _paragraph(
        doc,
        content.text("report_files.title", name=content.org_name),
        font=HEADING_FONT,
        size=TITLE_SIZE,
        bold=True,
        center=True,
    )
    issue_key = "report_files.issue_updated" if content.updated else "report_files.issue"
    _paragraph(doc, content.text(issue_key, issue=content.issue, date=content.day.isoformat()), center=True)
    _paragraph(doc, content.text("report_files.signature", **content.signature), size=SMALL_SIZE, center=True)
    for note in content.notes:
        _paragraph(doc, note, size=SMALL_SIZE, center=True)
    numbers = content.text("report_files.numbers").split()
    for index, part in enumerate(content.sections):
        number = numbers[index] if index < len(numbers) else str(index + 1)
        _paragraph(
            doc,
            content.text("report_files.section", number=number, title=part.title),
            font=HEADING_FONT,
            size=HEADING_SIZE,
        )
        for line in part.lines:
            _paragraph(doc, line, indent=True)
        if index == 0:
            _paragraph(doc, content.text("report_files.table_title"), size=SMALL_SIZE, center=True, bold=True)
            _figures_table(doc, content)
    _page_number(section.footer.paragraphs[0], content.text("report_files.page", page=FIELD_MARK))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
