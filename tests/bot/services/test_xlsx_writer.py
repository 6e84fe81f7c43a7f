"""The XLSX writer process: what it is sent arrives in the workbook, a failure in it is an
error here (with the child's reason), and an export that fails leaves no file behind."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from bot.services import xlsx
from bot.services.exports import ExportService, Plan


async def test_rows_sent_to_the_writer_process_are_in_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    async with xlsx.Writer(path) as writer:
        await writer.send(xlsx.frame(("sheet", "answers")))
        await writer.send(xlsx.frame(("rows", [["name", "n"], ["Žalec \x1b", 3], [None, 1.5]])))
        await writer.send(xlsx.frame(("sheet", "codebook")))
        await writer.send(xlsx.frame(("rows", [["column"], ["=1+1"]])))
        await writer.finish()
    with zipfile.ZipFile(path) as book:
        answers = book.read("xl/worksheets/sheet1.xml").decode()
        codebook = book.read("xl/worksheets/sheet2.xml").decode()
    assert "Žalec \ufffd" in answers and "<v>3</v>" in answers and "<v>1.5</v>" in answers
    assert '<c r="A3"' not in answers  # an empty cell is not written
    assert "=1+1" in codebook and "<f>" not in codebook  # text, never a formula


async def test_a_failing_writer_process_raises_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pytest.raises(xlsx.WriterError, match="unexpected message 'nonsense'"):
        async with xlsx.Writer(path) as writer:
            await writer.send(xlsx.frame(("nonsense", None)))
            for _ in range(50):  # the child has died: the pipe breaks, or the exit tells
                await writer.send(xlsx.frame(("rows", [["x"] * 100] * 100)))
            await writer.finish()


def test_a_writer_whose_input_stops_short_leaves_no_workbook(tmp_path: Path) -> None:
    """The bot died mid-export: the pipe closes without the end, and nothing looks complete."""
    path = tmp_path / "book.xlsx"
    data = xlsx.frame(("sheet", "answers")) + xlsx.frame(("rows", [["a"], [1]]))
    with pytest.raises(xlsx.WriterError, match="ended before"):
        xlsx.serve(path, io.BytesIO(data))
    assert not path.exists()


async def test_an_export_that_fails_leaves_no_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def broken(self, plan, convert):  # type: ignore[no-untyped-def]
        yield b"not a frame"

    monkeypatch.setattr(ExportService, "_converted", broken)
    plan = Plan("stay_or_leave", 1, 1, (), {})
    with pytest.raises(xlsx.WriterError):
        await ExportService(None).xlsx_file(plan, directory=tmp_path)  # type: ignore[arg-type]
    assert not os.listdir(tmp_path)
