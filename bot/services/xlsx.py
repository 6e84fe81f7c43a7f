"""A streaming XLSX writer for plain tables: text, numbers, booleans and empty cells.

openpyxl's write-only mode builds a cell object and an XML element per cell: for an export of
100,000 responses (two million cells) that is most of a minute. A table of plain values
needs none of it: each row becomes one string of SpreadsheetML, written straight into the
zip entry of its sheet, so memory stays flat and the time goes into compression.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

# What XML 1.0 cannot hold (tabs and line breaks stay).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_START = f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"
STYLES = (
    f'{HEAD}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
    'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>'
)


def column_letters(count: int) -> list[str]:
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


class Sheet:
    """Rows appended one after another to a sheet being written into the workbook's zip."""

    def __init__(self, stream: IO[bytes], width: int):
        self._stream = stream
        self._letters = column_letters(width)
        self._row = 0
        stream.write(SHEET_START.encode())

    def append_all(self, rows: Iterable[Sequence[Any]]) -> None:
        parts: list[str] = []
        letters = self._letters
        for values in rows:
            self._row += 1
            number = str(self._row)
            parts.append(f'<row r="{number}">')
            for letter, value in zip(letters, values, strict=False):
                if value is None:
                    continue
                at = letter + number
                if isinstance(value, str):
                    if value:
                        text = escape(NOT_XML.sub("\ufffd", value))
                        parts.append(
                            f'<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{text}'
                            "</t></is></c>"
                        )
                elif isinstance(value, bool):
                    parts.append(f'<c r="{at}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, int | float):
                    parts.append(f'<c r="{at}"><v>{value!r}</v></c>')
                else:
                    text = escape(NOT_XML.sub("\ufffd", str(value)))
                    parts.append(
                        f'<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                    )
            parts.append("</row>")
        self._stream.write("".join(parts).encode("utf-8"))

    def close(self) -> None:
        self._stream.write(SHEET_END.encode())
        self._stream.close()


class Workbook:
    """Sheets written one at a time, in order; close() adds the parts that list them."""

    def __init__(self, path: Path):
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []

    def sheet(self, name: str, width: int) -> Sheet:
        self._names.append(name)
        entry = f"xl/worksheets/sheet{len(self._names)}.xml"
        return Sheet(self._zip.open(entry, "w", force_zip64=True), width)

    def close(self) -> None:
        count = range(1, len(self._names) + 1)
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in zip(count, self._names, strict=True)
        )
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in count
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in count
        )
        parts = {
            "[Content_Types].xml": (
                f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                'sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="'
                'application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                f"{overrides}</Types>"
            ),
            "_rels/.rels": (
                f'{HEAD}<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
                f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{sheets}</sheets>'
                "</workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'{HEAD}<Relationships xmlns="{PACKAGE}">{links}<Relationship '
                f'Id="rId{len(self._names) + 1}" Type="{RELS}/styles" Target="styles.xml"/>'
                "</Relationships>"
            ),
            "xl/styles.xml": STYLES,
        }
        for name, text in parts.items():
            self._zip.writestr(name, text)
        self._zip.close()
