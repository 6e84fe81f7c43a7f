"""XLSX for plain tables (text, numbers, booleans, empty cells), streamed with XlsxWriter.

openpyxl's write-only mode builds a cell object and an XML element per cell: for an export of
100,000 responses (two million cells) that was most of a minute. XlsxWriter's constant-memory
mode writes each row out as it comes, so memory stays flat and the time is a fraction.
Sheets are written one at a time, in order.

`Writer` runs the workbook in a process of its own (`python -m bot.services.xlsx PATH`, fed
batches of rows over a pipe): writing two million cells is most of a quarter of a minute of
Python, which in a thread of the bot would hold the interpreter against the replies; in its
own process it runs on another core, beside the database read and the pivot.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import re
import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

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


FRAME = struct.Struct("!I")  # each message on the pipe: its length, then the pickle


def frame(message: tuple[Any, ...]) -> bytes:
    """One message for the writer process: ("sheet", name) starts a sheet, ("rows", rows)
    appends to it, ("end", None) finishes the workbook. Built where the rows are (a worker
    thread), not on the event loop."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(payload)) + payload


class WriterError(RuntimeError):
    pass


class Writer:
    """A workbook written by a child process: `await send(frame(...))` as rows come, then
    `await finish()`; on any failure `abort()` (the context manager does it)."""

    def __init__(self, path: Path):
        self.path = path
        self._process: asyncio.subprocess.Process | None = None
        self._errors: asyncio.Task[bytes] | None = None

    async def __aenter__(self) -> Writer:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            str(self.path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        # Read as it comes, so a chatty child never blocks on a full pipe.
        self._errors = asyncio.create_task(self._tail(self._process.stderr))
        return self

    @staticmethod
    async def _tail(stream: asyncio.StreamReader | None) -> bytes:
        kept = b""
        while stream is not None and (chunk := await stream.read(1 << 16)):
            kept = (kept + chunk)[-4096:]
        return kept

    async def __aexit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            await self.abort()

    async def send(self, data: bytes) -> None:
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write(data)
            await process.stdin.drain()  # the pipe's own back pressure keeps memory flat
        except (BrokenPipeError, ConnectionResetError):
            await self._failed()

    async def finish(self) -> None:
        """Close the pipe; the child writes the workbook out and exits."""
        process = self._process
        assert process is not None and process.stdin is not None
        await self.send(frame(("end", None)))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()
            await process.stdin.wait_closed()
        if await process.wait() != 0:
            await self._failed()
        assert self._errors is not None
        await self._errors

    async def abort(self) -> None:
        await self._kill()
        if self._errors is not None:
            self._errors.cancel()

    async def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def _failed(self) -> None:
        process, errors = self._process, self._errors
        assert process is not None and errors is not None
        await self._kill()
        message = (await errors).decode("utf-8", "replace").strip()
        raise WriterError(message.splitlines()[-1] if message else f"exit {process.returncode}")


def serve(path: Path, pipe: BinaryIO) -> None:
    """The child's side: messages from the pipe into the workbook, until ("end", None). A
    pipe that closes before it (the bot died mid-export) leaves no workbook that would look
    complete."""
    book = Workbook(path)
    sheet: Sheet | None = None
    while header := pipe.read(FRAME.size):
        (size,) = FRAME.unpack(header)
        kind, value = pickle.loads(pipe.read(size))
        if kind == "sheet":
            sheet = book.sheet(value, 0)
        elif kind == "rows" and sheet is not None:
            sheet.append_all(value)
        elif kind == "end":
            book.close()
            return
        else:
            raise WriterError(f"unexpected message {kind!r}")
    book.close()  # (which frees its temporary files) and then away with it
    path.unlink(missing_ok=True)
    raise WriterError("the input ended before the workbook did")


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.stdin.buffer)
