"""The door-knock sheet as PDF: A4, a page (or more) per volunteer, with a CJK font embedded.

Decisions:
- fpdf2 writes the PDF and embeds only the glyphs used, so a sheet of forty names stays small and prints the same
  on any printer or phone; it reads TrueType/OpenType collections (.ttc) itself, so Debian's fonts work as they are.
- The font is one the system has, found by path (`FONTS`): Noto Sans CJK from Debian's fonts-noto-cjk first, then
  WenQuanYi's. Bundling one would add 20 MB to every install; not finding one is a one-line error that names the
  package to install (or says to save as .html), never a PDF of empty boxes.
- A collection holds one face per region; the Simplified Chinese one ("… SC") is chosen by its name, not by a
  position that a newer release of the font could change.
- One weight only (regular): headings stand out by size and a grey fill, so no bold face has to be found too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from kit.errors import LinliError
from kit.knock_sheet import KnockSheet, Page
from kit.knock_sheet_render import columns, deadline_cell, page_heading, person_lines, result_line

FONTS: Final = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian's fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
)
FAMILY: Final = "cjk"
WIDTHS: Final = (11, 22, 56, 20, 55, 22)  # mm, on A4's 186 mm between the margins


class NoCjkFont(LinliError):
    title_key = "no_cjk_font"


def cjk_font(candidates: Sequence[Path] = FONTS) -> tuple[Path, int] | None:
    """The first CJK font that exists, with the index of its Simplified Chinese face in a collection (0 when it
    is a single font or has none)."""
    for path in candidates:
        if path.is_file():
            return path, _chinese_face(path)
    return None


def _chinese_face(path: Path) -> int:
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        name = str(face["name"].getDebugName(4) or "")
        if name.endswith(" SC") and "Mono" not in name:
            return index
    return 0


class _SheetPdf(FPDF):
    page_words = "{page}"

    def shown(self, text: str) -> str:
        """`text` with every character the font cannot draw as "?": a control picture (␛) or an emoji in a
        name prints as a visible mark, never as nothing."""
        font = self.fonts[FAMILY]
        cmap = font.cmap if isinstance(font, TTFFont) else {}
        return "".join(char if char in "\n " or ord(char) in cmap else "?" for char in text)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, self.shown(self.page_words.format(page=self.page_no())), align="C")


def sheet_pdf(sheet: KnockSheet, fonts: Sequence[Path] | None = None) -> bytes:
    """The sheet as PDF bytes; NoCjkFont (naming the Debian package) when no font in `fonts` (by default `FONTS`)
    exists."""
    font = cjk_font(FONTS if fonts is None else fonts)
    if font is None:
        raise NoCjkFont.said(sheet.word("no_font"), title=sheet.word("font_title"))
    pdf = _SheetPdf(orientation="P", unit="mm", format="A4")
    pdf.page_words = sheet.word("page", page="{page}")
    pdf.set_title(f"{sheet.community} {sheet.word('title')} {sheet.day.isoformat()}")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(FAMILY, fname=str(font[0]), collection_font_number=font[1])
    if not sheet.pages:
        pdf.add_page()
        pdf.set_font(FAMILY, size=14)
        empty = f"{sheet.community} — {sheet.word('title')}\n{sheet.day.isoformat()}: {sheet.word('empty')}"
        pdf.multi_cell(0, 8, pdf.shown(empty))
    for page in sheet.pages:
        _page(pdf, sheet, page)
    return bytes(pdf.output())


def _page(pdf: _SheetPdf, sheet: KnockSheet, page: Page) -> None:
    pdf.add_page()
    title, meta = page_heading(sheet, page)
    pdf.set_font(FAMILY, size=15)
    pdf.multi_cell(0, 8, pdf.shown(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 6, pdf.shown(meta), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    heading = FontFace(family=FAMILY, size_pt=10, fill_color=(225, 225, 225))
    results = pdf.shown(result_line(sheet, per_line=3))
    with pdf.table(
        col_widths=WIDTHS, text_align="LEFT", line_height=5, headings_style=heading, padding=1.5, v_align="TOP"
    ) as table:
        header = table.row()
        for name in columns(sheet):
            header.cell(pdf.shown(name))
        for number, flat in enumerate(page.flats, start=1):
            span = len(flat.people)
            for index, (person, lines) in enumerate(zip(flat.people, person_lines(sheet, flat), strict=True)):
                row = table.row()
                if index == 0:
                    row.cell(str(number), rowspan=span)
                    row.cell(pdf.shown(flat.address or "-"), rowspan=span)
                row.cell(pdf.shown("\n".join([f"{lines[0]}  {lines[1]}", *lines[2:]])))  # name and phone on one line
                row.cell(pdf.shown(person.reason))
                row.cell(results)
                if index == 0:
                    row.cell(pdf.shown(deadline_cell(sheet, flat)), rowspan=span)
    pdf.ln(4)
    pdf.multi_cell(0, 6, pdf.shown(sheet.word("signature")), new_x="LMARGIN", new_y="NEXT")
