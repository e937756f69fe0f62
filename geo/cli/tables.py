"""`python -m geo import-table`, `import-acled` and `export`: their arguments and what they run.

geo.cli.main adds them to its parser with `add_commands(commands)`. Exit codes as geo.cli.main's: 0 done, 1 the input
has problems (one line each, naming the file, the row and the column; nothing written unless
`--skip-invalid`), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from geo.cli.arguments import DEFAULT_DATA, add_view_arguments, load_or_report, view_from_args
from geo.events.dataset import located_mask
from geo.events.schema import validate_collection

if TYPE_CHECKING:
    from geo.io.sheet import Sheet

OUTPUT_SUFFIXES = (".geojson", ".json", ".parquet", ".geoparquet")


def _mapping(text: str) -> tuple[str, str]:
    column, sep, target = text.rpartition("=")
    if not sep or not column.strip() or not target.strip():
        raise argparse.ArgumentTypeError(f"expected COLUMN=FIELD, got {text!r}")
    return column.strip(), target.strip()


def filtered(frame: gpd.GeoDataFrame, args: argparse.Namespace) -> gpd.GeoDataFrame:
    """The rows the filter flags keep, exactly as the dashboard's table (its filters; the map date is not a
    filter of the table), with the geography columns of the dashboard's downloads added."""
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis
    from geo.view.filters import apply_filters

    filters, _ = view_from_args(frame, args)
    return apply_filters(with_analysis(frame, load_geography(load_crossings())), filters)


def _write_collection(collection: dict, out: Path) -> None:
    from geo.io.atomic import write_atomically
    from geo.io.geoparquet import write_events

    if out.suffix.lower() in (".parquet", ".geoparquet"):
        write_events(collection, out)
        return
    data = (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    write_atomically(out, lambda temporary: temporary.write_bytes(data))


def finish_import(result, out: Path, skip_invalid: bool) -> int:
    """Print the per-row report (stdout) and a summary (stderr); write the events to `out` when every row is
    an event, or with `skip_invalid` the rows that are. Returns the exit code."""
    for line in result.report():
        print(line)
    if result.problems and not skip_invalid:
        print(f"{result.summary()}. Nothing was written to {out}: fix the rows above (or pass --skip-invalid to "
              f"write only the rows without problems)", file=sys.stderr)
        return 1
    collection = result.collection()
    problems = validate_collection(collection, str(out))
    if problems:  # a bug here, not bad input: never write what `validate` would refuse
        for problem in problems:
            print(problem)
        print(f"nothing was written to {out}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_collection(collection, out)
    except OSError as error:
        print(f"{out}: file: cannot write: {error.strerror or error}")
        return 1
    print(f"wrote {out}: {result.summary()}", file=sys.stderr)
    return 0


def _output_ok(out: Path, command: str) -> bool:
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        print(f"python -m geo {command}: error: {out}: name the output .geojson (or .parquet)", file=sys.stderr)
        return False
    return True


def _read_or_report(path: Path, sheet_name: str | None = None) -> Sheet | None:
    """The sheet at `path`, read within geo.io.sheet's limits; None after printing the one line that says why it
    cannot be (a SheetError, or memory running out)."""
    from geo.io.sheet import SheetError, read_sheet_file

    try:
        return read_sheet_file(path, sheet_name)
    except SheetError as error:
        print(error)
    except MemoryError:
        print(f"{path}: file: reading it ran out of memory; split it")
    return None


def cmd_import_table(args: argparse.Namespace) -> int:
    from geo.io.table import MappingError, import_sheet

    if not _output_ok(args.out, "import-table"):
        return 2
    sheet = _read_or_report(args.file, args.sheet)
    if sheet is None:
        return 1
    try:
        result = import_sheet(sheet, dict(args.map or []))
    except MappingError as error:
        print(f"python -m geo import-table: error: {sheet.file}: {error}", file=sys.stderr)
        return 2
    if result.unused:
        print(f"notice: {sheet.file}: columns not used: {', '.join(result.unused)} (map one with --map COLUMN=FIELD)",
              file=sys.stderr)
    return finish_import(result, args.out, args.skip_invalid)


def cmd_import_acled(args: argparse.Namespace) -> int:
    from geo.io.acled import TYPES_PATH, TypesError, import_acled, load_types

    if not _output_ok(args.out, "import-acled"):
        return 2
    try:
        rules = load_types(args.types or TYPES_PATH)
    except TypesError as error:
        for problem in error.problems:
            print(problem)
        return 1
    sheet = _read_or_report(args.file)
    if sheet is None:
        return 1
    return finish_import(import_acled(sheet, rules), args.out, args.skip_invalid)


def cmd_export(args: argparse.Namespace) -> int:
    from geo.io.export import write_export

    frame = load_or_report(args.data)
    if frame is None:
        return 1
    shown = filtered(frame, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_export(shown, args.format, args.out)
    except OSError as error:
        print(f"{args.out}: file: cannot write: {error.strerror or error}")
        return 1
    located = int(located_mask(shown).sum())
    print(f"wrote {args.out} ({args.format}): {len(shown):,} of {len(frame):,} events, {located:,} with a location, "
          f"{len(shown) - located:,} without")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add import-table, import-acled and export to geo.cli.main's subcommands."""
    from geo.io.export import FORMATS
    from geo.io.table import FIELDS

    table = commands.add_parser("import-table", help="turn a CSV or XLSX sheet of events (one row each) into an "
                                                     "events file, with a report line per row")
    table.add_argument("file", type=Path, metavar="FILE", help=".csv (UTF-8) or .xlsx")
    table.add_argument("--out", type=Path, required=True, metavar="OUT", help="events file to write: .geojson")
    table.add_argument("--map", type=_mapping, action="append", metavar="COLUMN=FIELD",
                       help=f"repeatable; read COLUMN as FIELD, one of {', '.join(FIELDS)}")
    table.add_argument("--sheet", metavar="NAME", help="XLSX: the sheet to read (default: the first)")
    table.add_argument("--skip-invalid", action="store_true",
                       help="write the rows without problems even when others have some (each is still listed)")
    table.set_defaults(run=cmd_import_table)

    acled = commands.add_parser("import-acled", help="turn an ACLED export (CSV/XLSX in ACLED's columns) into an "
                                                     "events file, following ACLED's codebook")
    acled.add_argument("file", type=Path, metavar="FILE")
    acled.add_argument("--out", type=Path, required=True, metavar="OUT",
                       help="events file to write: .geojson; a row whose type maps to none of ours is kept as "
                            "unclassified")
    acled.add_argument("--types", type=Path, metavar="FILE",
                       help="ACLED type → event type table to use instead of data/acled_types.csv")
    acled.add_argument("--skip-invalid", action="store_true",
                       help="write the rows without problems even when others have some (each is still listed)")
    acled.set_defaults(run=cmd_import_acled)

    export = commands.add_parser("export", help="write the (filtered) events as GeoPackage, KML, HXL CSV, CSV or "
                                                "GeoJSON")
    export.add_argument("format", choices=list(FORMATS), metavar="{" + ",".join(FORMATS) + "}")
    export.add_argument("--data", type=Path, default=DEFAULT_DATA, help="events file (default: bundled)")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    add_view_arguments(export, "a dashboard link (or its ?query) whose filters to apply")
    export.set_defaults(run=cmd_export)
