"""XLSX for plain tables (text, numbers, booleans, empty cells), streamed with XlsxWriter.

openpyxl's write-only mode builds a cell object and an XML element per cell: for an export of
100,000 responses (two million cells) that was most of a minute. XlsxWriter's constant-memory
mode writes each row out as it comes, so memory stays flat and the time is a fraction.
Sheets are written one at a time, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# What XML 1.0 cannot hold (tabs and line breaks stay); XlsxWriter would write it escaped
# as _xHHHH_, which spreadsheet programs show literally.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# A cell holds at most 32,767 characters (Excel's limit); longer text is cut, never refused.
CELL_MAX = 32_767


class Sheet:
    """Rows appended one after another."""

    def __init__(self, worksheet: Any):
        self._sheet = worksheet
        self._row = 0

    def append_all(self, rows: Iterable[Sequence[Any]]) -> None:
        write_string, write_number = self._sheet.write_string, self._sheet.write_number
        write_boolean = self._sheet.write_boolean
        row = self._row
        for values in rows:
            for column, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    write_boolean(row, column, value)
                elif isinstance(value, int | float):
                    write_number(row, column, value)
                else:
                    text = value if isinstance(value, str) else str(value)
                    write_string(row, column, NOT_XML.sub("\ufffd", text)[:CELL_MAX])
            row += 1
        self._row = row

    def close(self) -> None:
        """Nothing to do: the workbook writes each sheet out when it closes."""


class Workbook:
    def __init__(self, path: Path):
        import xlsxwriter  # when a spreadsheet is asked for: the bot starts without it

        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                # Answers are data: "=..." stays text (no formula injection), links stay text.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )

    def sheet(self, name: str, width: int) -> Sheet:
        del width  # XlsxWriter needs no column count up front
        return Sheet(self._book.add_worksheet(name))

    def close(self) -> None:
        self._book.close()
