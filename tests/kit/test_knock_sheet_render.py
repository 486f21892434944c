"""The door-knock sheet on paper: a PDF read back with pdftotext, HTML that escapes what it quotes, plain text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kit.errors import ValidationError
from kit.knock_sheet import knock_sheet
from kit.knock_sheet_pdf import NoCjkFont, cjk_font, sheet_pdf
from kit.knock_sheet_render import sheet_html, sheet_text, write_knock_sheet
from kit.models import Community
from tests.door_knocks import door_knock_street


def pdf_text(path: Path) -> list[str]:
    """The PDF's pages as pdftotext reads them (poppler-utils)."""
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout.split("\f")[:-1]


def test_the_pdf_reads_back_in_chinese_a_page_per_volunteer(community: Community, tmp_path: Path) -> None:
    assert cjk_font() is not None, "install fonts-noto-cjk (tests/system-packages.sh)"
    door_knock_street()
    written = write_knock_sheet(knock_sheet(), tmp_path / "敲门单.pdf")
    assert written.read_bytes().startswith(b"%PDF-")
    first, second = pdf_text(written)
    assert "幸福里社区 — 入户敲门单" in first
    for words in ("日期：2026-11-20", "网格：东区", "志愿者：张志愿", "期限：12:00", "4 户，5 人"):
        assert words in first
    for name in ("李伯", "李婶", "王芳", "<script>alert(1)</script>"):
        assert name in first
    for result in ("□ 平安", "□ 不适", "□ 体温 ___", "□ 无人", "□ 需帮助"):
        assert first.count(result) == 5  # one for each resident of the page
    assert "第二联系人：+86 138 0000 0009" in first
    assert first.index("1-1-301") < first.index("1-1-1001") < first.index("1-1-1002") < first.index("1-2-201")
    assert "陈姐" not in first
    assert "陈姐" in second and "志愿者：未分配志愿者" in second and "网格：西区" in second


def test_the_pdf_in_english(community: Community, tmp_path: Path) -> None:
    door_knock_street()
    written = write_knock_sheet(knock_sheet(grid="西区", language="en"), tmp_path / "knock.pdf")
    (page,) = pdf_text(written)
    for words in ("Door-knock sheet", "Grid: 西区", "Volunteer: No volunteer yet", "□ Nobody home", "陈姐"):
        assert words in page


def test_without_a_cjk_font_the_pdf_says_which_package_to_install(community: Community, tmp_path: Path) -> None:
    door_knock_street()
    with pytest.raises(NoCjkFont) as missing:
        sheet_pdf(knock_sheet(), fonts=[tmp_path / "NotoSansCJK-Regular.ttc"])
    assert "fonts-noto-cjk" in missing.value.message
    assert "\n" not in missing.value.message


def test_html_shows_a_name_as_text_never_as_markup(community: Community) -> None:
    door_knock_street()
    page = sheet_html(knock_sheet())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    assert "\x1b" not in page and "刘␛]0;owned␇叔" in page
    assert page.count("<section>") == 2
    assert page.count("&#9744; 平安") == 6
    assert page.index("1-1-301") < page.index("1-1-1002")
    assert 'rowspan="2"' in page  # 李伯 and 李婶: one flat, one visit


def test_text_and_pdf_carry_no_terminal_escape(community: Community, tmp_path: Path) -> None:
    door_knock_street()
    sheet = knock_sheet()
    text = sheet_text(sheet)
    assert "\x1b" not in text and "\x07" not in text and "刘␛]0;owned␇叔" in text
    pdf = "".join(pdf_text(write_knock_sheet(sheet, tmp_path / "knock.pdf")))
    assert "\x1b" not in pdf and "\x07" not in pdf and "刘?]0;owned?叔" in pdf  # the font has no ␛: a visible mark


def test_an_empty_day_says_nobody_needs_a_visit(community: Community) -> None:
    assert "今天没有需要上门的住户。" in sheet_text(knock_sheet())
    assert "今天没有需要上门的住户。" in sheet_html(knock_sheet())


def test_only_pdf_html_or_text(community: Community, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        write_knock_sheet(knock_sheet(), tmp_path / "knock.docx")
    assert refused.value.message == "knock.docx：敲门单请存为 .pdf、.html 或 .txt。"
    assert not (tmp_path / "knock.docx").exists()
