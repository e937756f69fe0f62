"""Hostile spreadsheets: each is refused in one line naming the file and the limit, quickly, with bounded memory,
by `read_sheet`, by `import_upload` (the review page's read, in a child process) and by `python -m geo
import-table`. Every hostile file is generated here at run time (none is committed); the XLSX ones are zips
written byte by byte, so they can claim and pack whatever an attacker's can.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from geo.budget import Abandoned
from geo.io.sheet import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_PACKING_RATIO,
    MAX_UNPACKED_BYTES,
    SheetError,
    SheetLimits,
    read_sheet,
)
from geo.io.table import MAX_UPLOADS_AT_ONCE, UPLOAD_LIMITS, UPLOAD_SECONDS, import_sheet, import_upload
from tests.browser import report
from tests.conftest import ROOT, most_children_at_once

ANSWER_SECONDS = 10  # the page's promise: any upload within 1 MB answers within this
GROWTH_MB = 100  # ... and grows the server by less than this

HEADER = ["date", "event_type", "place", "lat", "lon", "source", "url"]
ROW = ["2024-09-03", "worker_strike", "Dandong", "40.1292", "124.3947", "Daily NK", "https://www.dailynk.com/a"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --- Workbooks written byte by byte --------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One zip member as stored: its packed bytes, the CRC-32 and size of what they unpack to, the method."""

    packed: bytes
    crc: int
    size: int
    method: int = zipfile.ZIP_DEFLATED


def deflated(content: bytes) -> Part:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Part(packer.compress(content) + packer.flush(), zlib.crc32(content), len(content))


def repeated(head: bytes, block: bytes, times: int, tail: bytes) -> Part:
    """head + block × times + tail, deflated without packing it all: after a full flush a compressor starts
    afresh, so every copy of the block packs to the same bytes, which are simply repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return Part(start + middle * times + end, zlib.crc32(tail, crc), len(head) + len(block) * times + len(tail))


def zipped(parts: dict[str, Part]) -> bytes:
    """A zip of `parts` (name: Part), its local headers, central directory and end record written by hand."""
    body, directory = bytearray(), bytearray()
    for name, part in parts.items():
        encoded = name.encode()
        fields = (20, 0, part.method, 0, 33, part.crc, len(part.packed), part.size, len(encoded), 0)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, len(body)) + encoded
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + part.packed
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), len(body), 0)
    return bytes(body + directory + end)


def workbook(sheet: Part | bytes, shared: Part | bytes | None = None, styles: bytes | None = None) -> bytes:
    """A minimal XLSX (as Excel lays it out) with one worksheet, `sheet`, the shared texts `shared` and the
    styles part `styles`."""
    kinds = {"rId1": ("worksheet", "worksheets/sheet1.xml")} | ({"rId2": ("sharedStrings", "sharedStrings.xml")}
                                                                 if shared is not None else {}) | (
        {"rId3": ("styles", "styles.xml")} if styles is not None else {})
    relations = "".join(f'<Relationship Id="{rid}" Type="{RELS}/{kind}" Target="{target}"/>'
                        for rid, (kind, target) in kinds.items())
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": deflated(
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            b'/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": deflated(f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
                                f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
                                f'</Relationships>'.encode()),
        "xl/workbook.xml": deflated(f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                                    f'xmlns:r="{RELS}"><sheets><sheet name="Events" sheetId="1" r:id="rId1"/>'
                                    f'</sheets></workbook>'.encode()),
        "xl/_rels/workbook.xml.rels": deflated(f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
                                               f'xmlns="{package}">{relations}</Relationships>'.encode()),
        "xl/worksheets/sheet1.xml": sheet if isinstance(sheet, Part) else deflated(sheet),
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared if isinstance(shared, Part) else deflated(shared)
    if styles is not None:
        parts["xl/styles.xml"] = deflated(styles)
    return zipped(parts)


def inline_row(number: int, values: list[str]) -> str:
    return f'<row r="{number}">' + "".join(
        f'<c r="{openpyxl.utils.get_column_letter(i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        for i, value in enumerate(values, 1)) + "</row>"


def worksheet(rows: str, dimension: str | None = None, prolog: str = "") -> bytes:
    claimed = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">{claimed}<sheetData>{rows}' \
           f'</sheetData></worksheet>'.encode()


EVENTS = inline_row(1, HEADER) + inline_row(2, ROW)


# --- The hostile files -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hostile:
    """A generated hostile file and the words its refusal names (None: it is read within the bounds, or refused
    for the time budget)."""

    path: Path
    refusal: str | None


def hostile_files(folder: Path) -> dict[str, Hostile]:
    """Every class of hostile sheet, each within the page's 1 MB upload limit, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "secret.txt"
    secret.write_text(f"SECRET-{uuid.uuid4().hex}\n")
    header = inline_row(1, HEADER)
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    wide = ",".join(f"c{n}" for n in range(100_000)) + "\n" + "1\n" * 50_000
    files = {
        # openpyxl's read-only reader padded every row to this claimed width and height: 26 GB
        "dimension": Hostile(_write(folder / "dimension.xlsx", workbook(worksheet(
            header + '<row r="200001"><c r="XFD200001"><v>1</v></c></row>', "A1:XFD200001"))), "claims 16,384 columns"),
        # a value in column XFD without any <dimension>: refused while streaming, nothing padded
        "far_column": Hostile(_write(folder / "far_column.xlsx", workbook(worksheet(
            header + '<row r="2"><c r="XFD2"><v>1</v></c></row>'))), "row 2: column XFD: a value past column KN"),
        "wide_csv": Hostile(_write(folder / "wide.csv", wide.encode()), "the header names 100,000 columns"),
        "shared_bomb": Hostile(_write(folder / "shared_bomb.xlsx", workbook(worksheet(header), repeated(
            f'<sst xmlns="{MAIN}">'.encode(), (b"<si><t>" + b"x" * 985 + b"</t></si>") * 1000, 380, b"</sst>"))),
            "unpacks to 380,"),
        "near_bomb": Hostile(_write(folder / "near_bomb.xlsx", workbook(worksheet(header), repeated(
            f'<sst xmlns="{MAIN}">'.encode(), texts_packing_93_times(), 90, b"</sst>"))), None),
        "huge_cell": Hostile(_write(folder / "huge_cell.xlsx", workbook(repeated(
            worksheet(header).split(b"</sheetData>")[0] + b'<row r="2"><c r="A2" t="inlineStr"><is><t>',
            b"x" * 1_000_000, 100, b"</t></is></c></row></sheetData></worksheet>"))), "unpacks to 100,"),
        "long_cell_csv": Hostile(_write(folder / "long_cell.csv", (",".join(HEADER) + "\n" + ",".join(ROW[:2])
                                                                  + ",\"" + "x" * 900_000 + "\"\n").encode()),
                                 "row 2: a cell holds more than 32,767 characters"),
        "billion_laughs": Hostile(_write(folder / "laughs.xlsx", workbook(worksheet(header), (
            f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol0 "lol">{laughs}]><sst xmlns="{MAIN}"><si><t>&lol9;'
            f'</t></si></sst>').encode())), "declares a DTD"),
        "xxe": Hostile(_write(folder / "xxe.xlsx", workbook(worksheet(
            header + inline_row(2, [*ROW[:2], "&xxe;", *ROW[3:]]),
            prolog=f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'))), "declares a DTD"),
        # a number format of 200,000 '[': the date check on it took time growing with the square of its length
        "slow_format": Hostile(_write(folder / "slow_format.xlsx", workbook(worksheet(EVENTS), styles=(
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt '
            f'numFmtId="164" formatCode="{"[" * 200_000}"/></numFmts><cellXfs count="1"><xf numFmtId="164"/>'
            f'</cellXfs></styleSheet>').encode())), "a number format of 200,000 characters"),
        "malformed": Hostile(_write(folder / "malformed.xlsx", workbook(worksheet(EVENTS)[:-40])),
                             "not well-formed XML"),
        "padded_csv": Hostile(_write(folder / "padded.csv", (",".join(f"c{n}" for n in range(MAX_COLUMNS)) + "\n"
                                                             + "x\n" * 400_000).encode()), "cells"),
    }
    for name, hostile in files.items():
        assert hostile.path.stat().st_size <= 1_000_000, (name, hostile.path.stat().st_size)
    return files


def texts_packing_93_times() -> bytes:
    """1,000 shared texts of 1,000 characters, each with 3 random letters among x's: about 1 MB that deflates
    about 93 times, just under MAX_PACKING_RATIO."""
    rnd = random.Random(21)
    block = bytearray()
    for _ in range(1000):
        text = bytearray(b"x" * 1000)
        for _ in range(3):
            text[rnd.randrange(1000)] = rnd.choice(b"abcdefghijklmnopqrstuvwxyz")
        block += b"<si><t>" + text + b"</t></si>"
    return bytes(block)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def secret_of(folder: Path) -> str:
    return (folder / "secret.txt").read_text().strip()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hostile]:
    return hostile_files(tmp_path_factory.mktemp("hostile"))


# --- Each limit, while streaming -----------------------------------------------------------------

def refusal(raw: bytes, name: str, limits: SheetLimits | None = None) -> str:
    with pytest.raises(SheetError) as caught:
        read_sheet(raw, name, limits=limits)
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"{name}: file: "), line
    return line


def test_a_header_of_more_named_columns_than_the_limit_is_refused_before_any_row_is_read():
    header = ",".join(f"c{n}" for n in range(MAX_COLUMNS + 1))
    line = refusal(f"{header}\n{'1' * 3}\n".encode(), "wide.csv")
    assert f"row 1: the header names {MAX_COLUMNS + 1} columns; at most {MAX_COLUMNS} are read" in line
    sheet = read_sheet((header.rsplit(",", 1)[0] + ",,,,\n1\n").encode(), "at_limit.csv")  # empty names: not columns
    assert len(sheet.columns) == MAX_COLUMNS and sheet.rows == [(2, {**dict.fromkeys(sheet.columns), "c0": "1"})]


def test_rows_past_the_limit_are_refused_by_row_number_empty_ones_included():
    limits = SheetLimits(rows=10, cells=1_000)
    assert len(read_sheet(b"a\n" + b"1\n" * 10, "ten.csv", limits=limits).rows) == 10
    assert "more than 10 rows (it goes on to row 12); split it" in refusal(b"a\n" + b"\n" * 10 + b"1\n", "x.csv",
                                                                          limits)
    rows = inline_row(1, ["a"]) + inline_row(12, ["1"])
    assert "more than 10 rows (it goes on to row 12)" in refusal(worksheet_book(rows), "x.xlsx", limits)
    assert "its dimension 'A1:A12' claims 12 rows; at most 10 are read" in refusal(
        worksheet_book(inline_row(1, ["a"]), "A1:A12"), "claims.xlsx", limits)


def test_cells_past_the_limit_are_refused_as_rows_are_read_counting_every_named_column_of_a_short_row():
    limits = SheetLimits(rows=1_000, cells=100)
    raw = (",".join(f"c{n}" for n in range(10)) + "\n" + "x\n" * 11).encode()  # 11 rows of 10 named columns
    assert "more than 100 cells (rows × named columns) by row 12; split it" in refusal(raw, "padded.csv", limits)
    assert len(read_sheet(raw[:-2], "fits.csv", limits=limits).rows) == 10
    cells = "".join(f'<c r="A2"><v>{n}</v></c>' for n in range(101))  # cell elements count as read, even repeated
    assert "more than 100 cells by row 2" in refusal(worksheet_book(inline_row(1, ["a"]) + f'<row r="2">{cells}</row>'),
                                                     "cells.xlsx", limits)


def test_a_cell_longer_than_excel_allows_is_refused_naming_its_row_and_column_in_csv_and_xlsx():
    at_limit = "y" * MAX_CELL_CHARS
    assert read_sheet(f"a,b\n1,{at_limit}\n".encode(), "fits.csv").rows[0][1]["b"] == at_limit
    line = refusal(f"a,b\n1,{at_limit}y\n".encode(), "long.csv")
    assert f"row 2: column B: a cell holds {MAX_CELL_CHARS + 1:,} characters; at most {MAX_CELL_CHARS:,}" in line
    line = refusal(f"a,b\n1,\"{'y' * 200_000}\"\n".encode(), "longer.csv")  # the csv module stops at its limit
    assert f"row 2: a cell holds more than {MAX_CELL_CHARS:,} characters" in line
    assert read_sheet(worksheet_book(inline_row(1, ["a", "b"]) + inline_row(2, ["1", at_limit])),
                      "fits.xlsx").rows[0][1]["b"] == at_limit
    line = refusal(worksheet_book(inline_row(1, ["a", "b"]) + inline_row(2, ["1", at_limit + "y"])), "long.xlsx")
    assert f"row 2: column B: a cell holds more than {MAX_CELL_CHARS:,} characters" in line
    shared = f'<sst xmlns="{MAIN}"><si><t>a</t></si><si><t>{at_limit}</t><r><t>y</t></r></si></sst>'.encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="C2" t="s"><v>1</v></c></row>'
    line = refusal(workbook(worksheet(rows), shared), "shared.xlsx")
    assert f"row 2: column C: a cell holds more than {MAX_CELL_CHARS:,} characters" in line


def test_an_xlsx_that_claims_more_columns_than_are_read_or_has_a_value_past_them_is_refused_unpadded():
    assert f"its dimension 'A1:KO2' claims 301 columns; at most {MAX_COLUMNS} are read" in refusal(
        worksheet_book(EVENTS, "A1:KO2"), "claims.xlsx")
    line = refusal(worksheet_book(EVENTS + '<row r="3"><c r="KO3"><v>1</v></c></row>'), "far.xlsx")
    assert "row 3: column KO: a value past column KN; at most 300 columns are read" in line
    sheet = read_sheet(worksheet_book(EVENTS + '<row r="3"><c r="KO3"/></row>', "A1:G3"), "styled.xlsx")
    assert [number for number, _ in sheet.rows] == [2] and sheet.empty_rows == 1  # an empty far cell is nothing


def test_xlsx_parts_that_unpack_too_far_are_refused_from_the_zip_directory_before_unpacking():
    bomb = repeated(b"<sst>", b"<si><t>" + b"x" * 100_000 + b"</t></si>", 30, b"</sst>")  # 3 MB from a few KB
    line = refusal(workbook(worksheet(EVENTS), bomb), "bomb.xlsx")
    assert "its part 'xl/sharedStrings.xml' unpacks to 3,000," in line and f"at most {MAX_PACKING_RATIO} times" in line
    block = texts_packing_93_times()  # each part packs less than the ratio allows, but all are too much together
    big = repeated(b"<sst>", block, MAX_UNPACKED_BYTES // len(block) + 1, b"</sst>")
    assert big.size > MAX_UNPACKED_BYTES and big.size < MAX_PACKING_RATIO * len(big.packed)
    line = refusal(workbook(worksheet(EVENTS), big), "big.xlsx")
    assert "its parts unpack to 300," in line and f"bytes; at most {MAX_UNPACKED_BYTES:,} are read" in line


def test_xml_with_a_dtd_is_refused_unread_so_no_entity_is_expanded_or_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-" + uuid.uuid4().hex)
    xxe = worksheet(inline_row(1, HEADER) + inline_row(2, [*ROW[:2], "&xxe;", *ROW[3:]]),
                    prolog=f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    line = refusal(workbook(xxe), "xxe.xlsx")
    assert "its part 'xl/worksheets/sheet1.xml' declares a DTD" in line and secret.read_text() not in line
    laughs = (f'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              f'<sst xmlns="{MAIN}"><si><t>&b;</t></si></sst>').encode()
    assert "its part 'xl/sharedStrings.xml' declares a DTD" in refusal(workbook(worksheet(EVENTS), laughs),
                                                                        "laughs.xlsx")


def test_broken_zips_and_xml_are_one_line_never_a_traceback():
    good = workbook(worksheet(EVENTS))
    cases = {
        "truncated.xlsx": (good[: len(good) // 2], "not a readable XLSX workbook (BadZipFile"),
        "malformed.xlsx": (workbook(worksheet(EVENTS)[:-30]), "is not well-formed XML: "),
        "no_rels.xlsx": (zip_of({"xl/workbook.xml": b"<workbook/>"}), "it has no part 'xl/_rels/workbook.xml.rels'"),
        "no_sheet.xlsx": (zip_of({"xl/workbook.xml": b"<workbook/>", "xl/_rels/workbook.xml.rels": b"<r/>"}),
                          "no worksheet found"),
        "bad_number.xlsx": (workbook(worksheet(inline_row(1, ["a"]) + '<row r="2"><c r="A2"><v>1.2.3</v></c>'
                                                     '</row>')), "row 2: column A: '1.2.3' is not a valid value"),
        "bad_shared.xlsx": (workbook(worksheet('<row r="1"><c r="A1" t="s"><v>7</v></c></row>'), b"<sst/>"),
                            "row 1: column A: '7' is not a valid value"),
        "bad_reference.xlsx": (workbook(worksheet('<row r="1"><c r="1A"><v>1</v></c></row>')),
                               "row 1: the cell '1A' has no valid reference"),
        "bzip2.xlsx": (bzip2_book(), "packed with method 12, which no spreadsheet uses"),
    }
    for name, (raw, words) in cases.items():
        assert words in refusal(raw, name), name


def test_a_normal_workbook_reads_exactly_as_openpyxl_reads_it():
    """Dates (1900 and 1904 systems), times, durations, numbers, booleans, rich text, formulas' cached values,
    gaps between rows and a hidden sheet before the events: the values openpyxl's own reader gives."""
    for epoch in (openpyxl.utils.datetime.WINDOWS_EPOCH, openpyxl.utils.datetime.CALENDAR_MAC_1904):
        book = openpyxl.Workbook()
        book.epoch = epoch
        book.active.title = "Hidden"
        book.active.sheet_state = "hidden"
        book.active["A1"] = "not the events"
        sheet = book.create_sheet("Events")
        sheet.append(["date", "time", "span", "n", "flag", "text", "formula"])
        sheet.append([openpyxl.utils.datetime.from_excel(45000.25), None, None, 3, True, "x005F_a", "=1+1"])
        sheet["B4"], sheet["C4"], sheet["D4"], sheet["E4"] = 0.75, 1.5, 2.5e-7, False
        sheet["B4"].number_format, sheet["C4"].number_format = "hh:mm", "[h]:mm:ss"
        sheet["F4"] = openpyxl.cell.rich_text.CellRichText(["Daily ", openpyxl.cell.rich_text.TextBlock(
            openpyxl.cell.text.InlineFont(b=True), "NK")])
        sheet["A7"] = "after a gap"
        raw = io.BytesIO()
        book.save(raw)
        ours = read_sheet(raw.getvalue(), "book.xlsx", "Events")
        theirs = openpyxl.load_workbook(io.BytesIO(raw.getvalue()), read_only=True, data_only=True)["Events"]
        expected = [(number, dict(zip(ours.columns, values, strict=False))) for number, values in
                    enumerate(theirs.iter_rows(min_row=2, values_only=True), 2) if any(v is not None for v in values)]
        assert ours.rows == expected and ours.empty_rows == 3
        assert ours.rows[1][1]["time"] == openpyxl.utils.datetime.from_excel(0.75) and ours.rows[0][1]["n"] == 3
        assert read_sheet(raw.getvalue(), "book.xlsx").rows == [], "the first sheet, hidden or not, is read"


def worksheet_book(rows: str, dimension: str | None = None) -> bytes:
    return workbook(worksheet(rows, dimension))


def zip_of(parts: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return raw.getvalue()


def bzip2_book() -> bytes:
    raw = io.BytesIO(workbook(worksheet(EVENTS)))
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), compress_type=zipfile.ZIP_BZIP2)
    return out.getvalue()


# --- Through the review page's read: a child process within a time and memory budget -------------------

MEASURE = """
import contextlib, io, json, sys, time
sys.path.insert(0, {root!r})
{call}

def status(key):
    return int(open("/proc/self/status").read().split(key + ":")[1].split()[0]) * 1024

for path in sys.argv[2:]:
    out, err = io.StringIO(), io.StringIO()
    open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from here
    before, started = status("VmRSS"), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        answer = call(path, sys.argv[1])
    print(json.dumps({{"path": path, "answer": answer, "seconds": time.perf_counter() - started,
                      "grew": status("VmHWM") - before, "stdout": out.getvalue(), "stderr": err.getvalue()}}),
          flush=True)
"""
UPLOAD = """
from geo.io.sheet import SheetError
from geo.io.table import import_upload

def call(path, _):
    try:
        return "read: " + import_upload(open(path, "rb").read(), path.rsplit("/", 1)[1]).summary()
    except SheetError as error:
        return str(error)
"""
COMMAND = """
from geo.cli.main import main

def call(path, folder):
    return main(["import-table", path, "--out", folder + "/" + path.rsplit("/", 1)[1] + ".geojson"])
"""


def measured(call: str, paths: list[Path], folder: Path) -> dict[str, dict]:
    """`call` (UPLOAD or COMMAND) of each file, from one fresh Python process that measures, per call, the seconds
    and how far its peak memory (VmHWM, reset before each call) rose above what it held before."""
    done = subprocess.run([sys.executable, "-c", MEASURE.format(root=str(ROOT), call=call), str(folder),
                           *map(str, paths)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60 + ANSWER_SECONDS * len(paths))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return {Path(row["path"]).name: row for row in map(json.loads, done.stdout.splitlines())}


def measured_failures(call: str, hostile: dict[str, Hostile], folder: Path, request: pytest.FixtureRequest,
                      growth_mb: int, check: Callable[[Hostile, dict], bool]) -> list[str]:
    """Each hostile file through `call`, measured and reported: what went wrong (the secret shown, too slow, too
    much memory, or `check(case, measurement)` False), one line per file."""
    answers = measured(call, [case.path for case in hostile.values()], folder)
    secret = secret_of(hostile["xxe"].path.parent)
    failures = []
    for name, case in hostile.items():
        row = answers[case.path.name]
        shown = str(row["answer"]) + " " + row["stdout"] + row["stderr"]
        label = "upload" if call is UPLOAD else "command"
        report(request, f"{label} {name:>14}: {row['seconds']:5.2f} s, grew {row['grew'] / 2**20:5.1f} MB: "
                        f"{' '.join(shown.split())[:150]}")
        if secret in shown:
            failures.append(f"{name}: the secret was shown")
        if row["seconds"] >= ANSWER_SECONDS or row["grew"] >= growth_mb * 2**20:
            failures.append(f"{name}: {row['seconds']:.2f} s, {row['grew'] / 2**20:.1f} MB")
        if not check(case, row):
            failures.append(f"{name}: {shown!r}")
    return failures


def test_every_hostile_upload_answers_in_one_line_within_10_s_and_grows_the_caller_by_less_than_100_mb(
        hostile, request, tmp_path):
    """(A hostile file that is read all the same, like shared texts packed just under the ratio, must still be
    read within the same bounds, or refused for the time budget.)"""
    def answered(case: Hostile, row: dict) -> bool:
        refused, answer = f"{case.path.name}: file: ", row["answer"]
        if "\n" in answer:
            return False
        if case.refusal is None:
            return answer.startswith("read: ") or answer.startswith(f"{refused}not read within the time budget")
        return answer.startswith(refused) and case.refusal in answer

    assert not measured_failures(UPLOAD, hostile, tmp_path, request, GROWTH_MB, answered)


def test_an_upload_reads_and_imports_exactly_as_the_same_sheet_read_here(tmp_path):
    rows = [ROW, ["2024-10", "detention", "Hunchun", "", "", "Radio Free Asia", "https://www.rfa.org/b"],
            ["2024-13-01", "escape", "Tumen", "", "", "Yonhap", "https://en.yna.co.kr/c"]]
    book = openpyxl.Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    book.save(tmp_path / "events.xlsx")
    csv_raw = "\n".join(",".join(row) for row in [HEADER, *rows]).encode()
    for name, raw in (("events.csv", csv_raw), ("events.xlsx", (tmp_path / "events.xlsx").read_bytes())):
        here, there = import_sheet(read_sheet(raw, name)), import_upload(raw, name)
        assert there == here and len(there.features) == 2 and len(there.problems) == 1


def test_more_uploads_at_once_than_the_server_reads_are_refused_at_once_asking_to_try_again(children):
    raw = ("\n".join(",".join(row) for row in [HEADER, *[ROW] * 4_000])).encode()  # seconds of reading each
    start, outcomes = threading.Barrier(MAX_UPLOADS_AT_ONCE + 2), []

    def upload(n: int) -> None:
        start.wait()
        try:
            import_upload(raw, f"sheet{n}.csv")
            outcomes.append("read")
        except SheetError as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(MAX_UPLOADS_AT_ONCE + 2)]
    most = most_children_at_once(threads, children)
    refused = [o for o in outcomes if "other sheets are being read on this server; try again" in o]
    assert most <= MAX_UPLOADS_AT_ONCE and len(children) <= MAX_UPLOADS_AT_ONCE + 1
    assert refused and outcomes.count("read") >= 1 and len(refused) + outcomes.count("read") == len(threads), outcomes
    assert all("python -m geo" not in o for o in outcomes)  # a visitor reads no command


def test_an_upload_past_the_upload_limits_is_refused_by_the_child_naming_the_limit():
    raw = ("a\n" + "x\n" * (UPLOAD_LIMITS.rows + 1)).encode()
    with pytest.raises(SheetError, match=rf"^rows\.csv: file: more than {UPLOAD_LIMITS.rows:,} rows"):
        import_upload(raw, "rows.csv")


def test_the_time_budget_the_memory_cap_and_the_answer_size_each_give_one_line(monkeypatch):
    import geo.io.table as table

    raw = ("\n".join(",".join(row) for row in [HEADER, *[ROW] * 3])).encode()
    monkeypatch.setattr(table, "UPLOAD_SECONDS", 0.05)
    with pytest.raises(SheetError, match=r"^slow\.csv: file: not read within the time budget of 0\.05 s; split it"):
        import_upload(raw, "slow.csv")
    monkeypatch.setattr(table, "UPLOAD_SECONDS", UPLOAD_SECONDS)
    monkeypatch.setattr(table, "UPLOAD_MEMORY_BYTES", 25_000_000)  # less than its own imports take
    with pytest.raises(SheetError, match=r"^cramped\.csv: file: reading it needs more than the memory cap of "
                                         r"25,000,000 bytes; split it"):
        import_upload(raw, "cramped.csv")
    monkeypatch.undo()
    monkeypatch.setattr(table, "UPLOAD_ANSWER_BYTES", 1_000)
    with pytest.raises(SheetError, match=r"^chatty\.csv: file: its import report is [\d,]+ bytes, over the limit of "
                                         r"1,000 \(\d+ problems\)"):
        import_upload(raw, "chatty.csv")


def test_an_upload_of_almost_1_mb_is_read_while_the_page_keeps_asking_whether_anyone_still_waits(tmp_path):
    rows = [[*ROW[:-1], f"{ROW[-1]}-{n}", f"Row {n}: workers at a garment factory stopped work over unpaid wages "
                                          f"for the third month as a source in the city told the reporter."]
            for n in range(4_000)]
    raw = "\n".join(",".join(row) for row in [[*HEADER, "notes"], *rows]).encode()
    assert 500_000 < len(raw) <= 1_000_000
    asked = []
    result = import_upload(raw, "big.csv", still_wanted=lambda: asked.append(True) or True)
    assert len(result.features) == 4_000 and len(asked) >= 2  # before it started, and while it worked


def test_an_upload_nobody_waits_for_any_more_is_abandoned_at_once():
    raw = ("\n".join(",".join(row) for row in [HEADER, ROW])).encode()
    started = time.perf_counter()
    with pytest.raises(Abandoned):
        import_upload(raw, "left.csv", still_wanted=lambda: False)
    assert time.perf_counter() - started < 2


# --- Through the command line ------------------------------------------------------------------------

CLI_GROWTH_MB = 200  # the command holds up to MAX_CELLS cells of an operator's own file before it refuses more


def test_the_command_line_refuses_every_hostile_sheet_in_one_line_quickly_with_bounded_memory(hostile, tmp_path,
                                                                                              request):
    """`python -m geo import-table` reads in its own process, bounded by the streaming limits alone: each
    hostile file is one line on stdout, exit 1, nothing written, within seconds and CLI_GROWTH_MB of memory."""
    def refused(case: Hostile, row: dict) -> bool:
        if case.refusal is None:
            return row["answer"] == 0
        return (row["answer"], row["stdout"].count("\n"), row["stderr"]) == (1, 1, "") and \
            row["stdout"].startswith(f"{case.path}: file: ") and case.refusal in row["stdout"] and \
            not (tmp_path / f"{case.path.name}.geojson").exists()

    assert not measured_failures(COMMAND, hostile, tmp_path, request, CLI_GROWTH_MB, refused)


def test_python_m_geo_import_table_and_import_acled_print_one_line_and_exit_1_for_a_hostile_sheet(hostile, tmp_path):
    for command, name in (("import-table", "dimension"), ("import-acled", "wide_csv")):
        path = hostile[name].path
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "geo", command, str(path), "--out", str(tmp_path / "out.geojson")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (1, ""), done.stderr[-2000:]
        [line] = done.stdout.splitlines()
        assert line.startswith(f"{path}: file: ") and hostile[name].refusal in line
        assert time.perf_counter() - started < 30 and not (tmp_path / "out.geojson").exists()
