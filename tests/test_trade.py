"""geo.reference.trade: China's monthly trade with North Korea, read from the real data/trade_monthly.csv, and every
rule of its validator shown failing on a copy of that file changed at run time."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from geo.cli.main import main
from geo.paths import TRADE_PATH
from geo.reference.trade import (
    EXPORTS,
    IMPORTS,
    REQUIRED_COLUMNS,
    SERIES_START,
    TradeError,
    figure_kind,
    load_trade,
    millions,
    month_row,
    validate_trade,
)
from tests.conftest import EVENTS_PATH


def real_rows() -> tuple[list[str], list[dict[str, str]]]:
    """The real file's header and rows, as text."""
    with TRADE_PATH.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def first_with_figure() -> int:
    """The position of the first real row that gives exports and imports."""
    return next(n for n, row in enumerate(real_rows()[1]) if row[EXPORTS] and row[IMPORTS])


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def changed(tmp_path: Path, position: int, **values: str) -> tuple[Path, dict[str, str]]:
    """A copy of the real file with row `position`'s fields changed; also that row as it was."""
    header, rows = real_rows()
    original = dict(rows[position])
    rows[position] = rows[position] | values
    return write(tmp_path / "trade.csv", header, rows), original


def line_of(path: Path, position: int) -> int:
    """The line of `path` on which data row `position` starts (the header is line 1; a quoted note may span lines)."""
    with path.open(encoding="utf-8", newline="") as file:
        reader, line = csv.reader(file), 1
        for n, _ in enumerate(reader):
            if n == position + 1:
                return line
            line = reader.line_num + 1
    raise IndexError(position)


def test_the_real_series_is_valid_starts_in_january_2019_and_has_one_row_per_month():
    assert validate_trade() == []
    series = load_trade()
    assert series["month"].iloc[0] == SERIES_START == "2019-01"
    expected = pd.period_range(SERIES_START, periods=len(series), freq="M").strftime("%Y-%m").tolist()
    assert series["month"].tolist() == expected
    assert (series["end"] - series["start"]).dt.days.between(28, 31).all()


def test_the_real_series_cites_at_least_36_months_each_with_its_page():
    series = load_trade()
    dollars = [name for name in series.columns if name.endswith("_usd")]
    cited = series[series[dollars].notna().any(axis=1)]
    assert len(cited) >= 36
    assert cited["source_url"].str.match(r"https?://").all()
    assert cited["source_title"].str.len().gt(0).all() and cited["published"].notna().all()
    assert (cited["published"] >= cited["end"] - pd.Timedelta(days=1)).all()


def test_dollars_load_as_the_integers_the_file_gives_and_empty_cells_stay_missing_never_zero():
    header, rows = real_rows()
    series = load_trade()
    for name in (column for column in header if column.endswith("_usd")):
        assert str(series[name].dtype) == "Int64"
        for text, value in zip((row[name] for row in rows), series[name], strict=True):
            assert (value is pd.NA) if text == "" else value == int(text)
    assert any(row[EXPORTS] == "" for row in rows)  # the series has gaps, so the check above met missing values


def test_month_row_gives_a_month_as_plain_values_and_none_for_a_month_not_in_the_series():
    series = load_trade()
    position = first_with_figure()
    row = month_row(series, series["month"].iloc[position])
    assert row is not None and row[EXPORTS] == series[EXPORTS].iloc[position]
    assert month_row(series, "1990-01") is None


def test_figures_read_as_millions_and_notes_say_preliminary_or_revised():
    assert millions(102_300_000) == "$102.3 million" and millions(53_000) == "$53,000" and millions(None) is None
    assert figure_kind("Preliminary (first release)") == "preliminary"
    assert figure_kind("revised; the preliminary figure was higher") == "revised"
    assert figure_kind(None) == figure_kind("as reported by Yonhap") == ""


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"month": "2022/04"}, "month", "not a month in YYYY-MM form"),
    ({EXPORTS: "-5"}, EXPORTS, "negative"),
    ({IMPORTS: "4.2e6"}, IMPORTS, "not a whole number of US dollars"),
    ({EXPORTS: "1,000"}, EXPORTS, "not a whole number of US dollars"),
    ({"source_url": ""}, "source_url", "every figure cites the page"),
    ({"source_title": ""}, "source_title", "every figure cites the page"),
    ({"published": ""}, "published", "every figure cites the page"),
    ({"published": "20 May 2022"}, "published", "not a date in YYYY-MM-DD form"),
    ({"source_url": "ftp://example.org/trade"}, "source_url", "not a web address"),
    ({"source_url": "javascript:alert(1)"}, "source_url", "not a web address"),
])
def test_a_broken_field_is_one_line_naming_the_file_the_line_the_month_and_the_field(tmp_path, values, field, words):
    position = first_with_figure()
    path, original = changed(tmp_path, position, **values)
    problems = [str(problem) for problem in validate_trade(path)]
    month = f" ({original['month']})" if field != "month" else ""
    assert [p for p in problems if p.startswith(f"{path}: line {line_of(path, position)}{month}: {field}: ")
            and words in p], problems
    assert all("\n" not in p for p in problems)


def test_a_publication_date_before_the_month_ended_is_refused(tmp_path):
    position = first_with_figure()
    month = real_rows()[1][position]["month"]
    path, _ = changed(tmp_path, position, published=f"{month}-15")
    [problem] = validate_trade(path)
    assert str(problem).startswith(f"{path}: line {line_of(path, position)} ({month}): published: {month}-15 is before "
                                   "the month ended")


def test_a_publication_date_in_the_future_is_refused(tmp_path):
    position = first_with_figure()
    path, _ = changed(tmp_path, position, published="2030-01-01")
    [problem] = validate_trade(path, today=dt.date(2029, 12, 31))
    assert problem.field == "published" and "in the future" in problem.message


def test_duplicate_missing_and_out_of_order_months_are_each_named(tmp_path):
    header, rows = real_rows()
    duplicate = write(tmp_path / "duplicate.csv", header, rows[:3] + [rows[2]] + rows[3:])
    assert [str(p) for p in validate_trade(duplicate)] == [
        f"{duplicate}: line 5 ({rows[2]['month']}): month: {rows[2]['month']} appears again (first on line 4)"]
    missing = write(tmp_path / "missing.csv", header, rows[:3] + rows[5:])
    assert [str(p) for p in validate_trade(missing)] == [
        f"{missing}: line 5 ({rows[5]['month']}): month: no row for {rows[3]['month']} to {rows[4]['month']}: one "
        "row per month, empty where no page gives a figure"]
    swapped = write(tmp_path / "swapped.csv", header, rows[:3] + [rows[4], rows[3]] + rows[5:])
    problems = [str(p) for p in validate_trade(swapped)]
    assert f"{swapped}: line 6 ({rows[3]['month']}): month: out of order: comes after {rows[4]['month']}" in problems
    late = write(tmp_path / "late.csv", header, rows[1:])
    assert [p.message for p in validate_trade(late)] == [f"the series starts at 2019-01, not {rows[1]['month']}"]


def test_an_added_column_is_allowed_and_one_ending_in_usd_is_held_to_the_dollar_rules(tmp_path):
    header, rows = real_rows()
    extra = [*header, "checked_by"]
    assert validate_trade(write(tmp_path / "extra.csv", extra, [row | {"checked_by": "x"} for row in rows])) == []
    position = first_with_figure()
    dollars = [*header, "re_exports_usd"]
    bad = [row | {"re_exports_usd": "-1" if n == position else ""} for n, row in enumerate(rows)]
    [problem] = validate_trade(path := write(tmp_path / "dollars.csv", dollars, bad))
    assert (problem.field, problem.message) == ("re_exports_usd", "negative: '-1'")
    assert problem.line == line_of(path, position)
    assert "re_exports_usd" in load_trade(write(tmp_path / "fine.csv", dollars, [r | {"re_exports_usd": ""}
                                                                                    for r in rows])).columns


def hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.csv"
    header = ",".join(REQUIRED_COLUMNS)
    contents = {
        "empty": b"",
        "binary": bytes(range(256)) * 8,
        "nul": (header + "\n2019-01,\x00,,,,,\n").encode(),
        "huge line": (header + "\n2019-01," + "9" * 300_000 + ",,,,,\n").encode(),
        "huge file": b"x" * 1_100_000,
        "wrong header": b"date,exports,imports\n2019-01,1,2\n",
        "header only": (header + "\n").encode(),
        "short row": (header + "\n2019-01,1\n").encode(),
        "unclosed quote": (header + '\n2019-01,"1,,,,,\n').encode(),
        "latin-1": (header + "\n2019-01,,,,Caf\xe9,,\n").encode("latin-1"),
    }
    path.write_bytes(contents[kind])
    return path


@pytest.mark.parametrize("kind", ["empty", "binary", "nul", "huge line", "huge file", "wrong header", "header only",
                                  "short row", "unclosed quote", "latin-1"])
def test_a_hostile_file_gives_one_line_problems_naming_it_and_no_traceback(tmp_path, kind, capsys):
    path = hostile(tmp_path, kind)
    problems = validate_trade(path)
    assert problems and all(str(p).startswith(f"{path}: ") and "\n" not in str(p) for p in problems)
    assert all(len(str(p)) < 1500 for p in problems)
    with pytest.raises(TradeError) as raised:
        load_trade(path)
    assert raised.value.problems == problems
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(p) for p in problems] and "Traceback" not in out + err


def test_validate_passes_the_real_series_beside_the_events(capsys):
    assert main(["validate", str(TRADE_PATH), str(EVENTS_PATH)]) == 0
    assert f"{TRADE_PATH}: valid" in capsys.readouterr().err


def test_validate_prints_the_series_problems_in_its_usual_one_line_form(tmp_path, capsys):
    position = first_with_figure()
    path, original = changed(tmp_path, position, china_imports_usd="-3")
    assert main(["validate", str(path)]) == 1
    where = f"{path}: line {line_of(path, position)} ({original['month']})"
    assert capsys.readouterr().out == f"{where}: {IMPORTS}: negative: '-3'\n"
