"""Spreadsheets in tests: the sheet a workbook opens on."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet


def active_sheet(book: Workbook) -> Worksheet:
    """`book.active`, known to be a worksheet (openpyxl's type also allows a chart sheet or none)."""
    sheet = book.active
    assert isinstance(sheet, Worksheet), sheet
    return sheet
