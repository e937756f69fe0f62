"""`python -m geo`: the command-line contract (docs/commands.md documents each command).

Exit codes: 0 success, 1 the data is invalid (one line per problem) or the database cannot be used (one line,
never its password), 2 usage error. Every `--data` (and `validate`'s paths) takes a file path or a
postgresql:// URL (geo.store).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli.arguments import DEFAULT_DATA, add_view_arguments, iso_date, load_or_report, view_from_args
from geo.cli.tables import add_commands
from geo.events.dataset import DatasetError, located_mask
from geo.io.events_file import validate_file
from geo.paths import CROSSINGS_PATH, PROJECT_ROOT
from geo.store import Spec, StoreError, data_spec, is_database_url, open_store, store_label

DEFAULT_CROSSINGS = CROSSINGS_PATH
DATA_HELP = "events file or postgresql:// URL (default: the bundled file)"


def validate_any(path: Spec, warnings: list | None = None) -> list:
    """Problems with an events file or database, a crossings file (recognised by its china_side names) or the
    monthly trade series (a .csv file, geo.reference.trade).
    A GeoJSON events file of any size is read feature by feature (geo.io.geojson). Relays that a source's words
    name but its `original`/`attributed_to` do not (geo.events.relays) go to `warnings`, not to the problems:
    they are read from prose, so they never make the data invalid."""
    from geo.events.dataset import read_json
    from geo.events.schema import validate_collection, validate_feature
    from geo.io.events_file import is_parquet
    from geo.io.geojson import EventsFile
    from geo.reference.crossings import validate_crossings

    if is_database_url(path):
        store = open_store(path)
        collection = store.read()[0]
        for index, feature in enumerate(collection.get("features") or []):
            _relay_warnings(feature, index, store.label, warnings)
        return validate_collection(collection, store.label)
    if is_parquet(path):  # crossings are GeoJSON only
        return validate_file(path)
    if Path(path).suffix.lower() == ".csv":  # the one CSV the project validates: the monthly trade series
        from geo.reference.trade import validate_trade

        return validate_trade(path)
    crossings = False

    def events_or_crossings(feature: object, index: int, file: str) -> list:
        nonlocal crossings
        properties = feature.get("properties") if isinstance(feature, dict) else None
        crossings = crossings or (isinstance(properties, dict) and "china_side" in properties)
        _relay_warnings(feature, index, file, warnings)
        return validate_feature(feature, index, file)

    problems = EventsFile(path).stream(validate_one=events_or_crossings)
    if not crossings:
        return problems
    if warnings:
        warnings.clear()  # a crossings file has no sources that relay
    try:  # a crossings file is small: read whole, as the app reads it
        data = read_json(path)
    except DatasetError as error:
        return error.problems
    return validate_crossings(data, str(path))


def _relay_warnings(feature: object, index: int, file: str, warnings: list | None) -> None:
    """Add to `warnings` one Problem per outlet a feature's source says it relays without recording it."""
    from geo.events.relays import unrecorded_relays
    from geo.events.schema import Problem

    properties = feature.get("properties") if isinstance(feature, dict) else None
    sources = properties.get("sources") if isinstance(properties, dict) else None
    if warnings is None or not isinstance(sources, list):
        return
    fid = properties.get("id") if isinstance(properties.get("id"), str) else None
    for relay in unrecorded_relays(sources):
        warnings.append(Problem(file, f"properties.sources[{relay.source}].{relay.field}",
                                f"says '{relay.words}' but records {relay.outlet} neither as original nor as "
                                f"attributed_to: a relay is that outlet's witness, not a second one", index, fid))


def _over_the_limit(path: Spec) -> str | None:
    """For a GeoJSON events file too large for the dashboard and export-html: a notice naming the way in."""
    from geo.events.dataset import EVENTS_KIND, MAX_FILE_BYTES, convert_advice
    from geo.io.events_file import is_parquet

    if is_database_url(path) or is_parquet(path):
        return None
    try:
        size = Path(path).stat().st_size
    except OSError:
        return None
    if size <= MAX_FILE_BYTES:
        return None
    return (f"notice: {path} is {size:,} bytes, over the {MAX_FILE_BYTES / 1e6:g} MB limit{EVENTS_KIND} that the "
            f"dashboard and export-html read; {convert_advice(path)}")


def cmd_validate(args: argparse.Namespace) -> int:
    total = 0
    for path in args.paths:
        warnings: list = []
        problems = validate_any(path, warnings)
        total += len(problems)
        for problem in problems:
            print(problem)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not problems:
            print(f"{store_label(path)}: valid", file=sys.stderr)
            notice = _over_the_limit(path)
            if notice:
                print(notice, file=sys.stderr)
    return 1 if total else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import analyze, load_geography

    frame = load_or_report(args.data)
    if frame is None:
        return 1
    try:
        crossings = load_crossings(args.crossings)
    except DatasetError as error:
        for problem in error.problems:
            print(problem)
        return 1
    geography = load_geography(crossings)
    table = analyze(frame, geography)
    if args.in_database:
        if not is_database_url(args.data):
            print("python -m geo analyze: error: --in-database needs --data postgresql://...", file=sys.stderr)
            return 2
        from geo.store.spatial import COLUMNS, border_distances

        measured = border_distances(open_store(args.data), geography)
        table.loc[measured.index, list(COLUMNS)] = measured[list(COLUMNS)]
    table = table.rename(columns={"country_found": "country"})
    table.insert(0, "id", frame["id"])
    columns = ["id", "country", "province", "distance_to_border_km", "nearest_crossing", "nearest_crossing_km"]
    table[columns].to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_export_html(args: argparse.Namespace) -> int:
    from geo.map import assets
    from geo.map.mapview import on_map, view_map
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis
    from geo.reference.places import load_places

    frame = load_or_report(args.data)
    if frame is None:
        return 1
    crossings = load_crossings()
    filters, day = view_from_args(frame, args)
    if filters.max_border_km is not None:
        frame = with_analysis(frame, load_geography(crossings))
    shown = on_map(frame, filters, day)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fmap = view_map(frame, filters, day, load_places(), crossings)
    try:
        html, offline = assets.standalone_html(fmap), True
    except FileNotFoundError as error:
        print(f"notice: map libraries will load from public CDNs, so the file needs internet ({error})",
              file=sys.stderr)
        html, offline = fmap.get_root().render(), False
    args.out.write_text(html, encoding="utf-8")
    located = int(located_mask(shown).sum())
    print(f"wrote {args.out}: {located} events on the map as of {day}, {len(shown) - located} without a location"
          + ("; works offline (libraries embedded)" if offline else ""))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    import json

    from geo.ingest.candidates import candidates_from_text

    try:
        text = args.article.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{args.article}: file: cannot read the article as UTF-8 text ({error})", file=sys.stderr)
        return 1
    title = args.title or next((line.strip() for line in text.splitlines() if line.strip()), str(args.article))
    from geo.ingest.matching import mark_matches
    from geo.store import read_collection

    try:
        existing = read_collection(args.data)["features"]
    except (DatasetError, KeyError, TypeError) as error:
        print(f"{store_label(args.data)}: file: cannot read the dataset to match against ({error})", file=sys.stderr)
        return 1
    collection = candidates_from_text(text, args.published, args.publisher, title[:1000], str(args.article))
    matched = mark_matches(collection, existing)
    print(json.dumps(collection, ensure_ascii=False, indent=1))
    located = sum(f["geometry"] is not None for f in collection["features"])
    print(f"{len(collection['features'])} candidates, {located} with a location, {matched} matching an event "
          f"already in {open_store(args.data).name} (add makes them its sources)", file=sys.stderr)
    return 0


def cmd_ingest_eval(args: argparse.Namespace) -> int:
    from geo.ingest.evaluation import LabelError
    from geo.ingest.evaluation import main as evaluate

    try:
        return evaluate(args.folder)
    except (LabelError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1


def cmd_add(args: argparse.Namespace) -> int:
    from geo.events.dataset import read_json
    from geo.store import ConflictError, append_features, kept_as
    from geo.store.changelog import cli_editor

    try:
        candidates = read_json(args.candidates)
        features = candidates["features"] if isinstance(candidates, dict) else None
        if not isinstance(features, list):
            print(f"{args.candidates}: features: expected a FeatureCollection of candidates")
            return 1
        change = append_features(args.data, features, editor=cli_editor())
    except DatasetError as error:
        for problem in error.problems:
            print(problem)
        print(f"nothing was added to {store_label(args.data)}", file=sys.stderr)
        return 1
    except ConflictError as error:
        print(error)
        return 1
    attached = f" and sources to {len(change.attached)} known events" if change.attached else ""
    print(f"added {len(change.added)} events{attached} to {store_label(args.data)} as change {change.id} by "
          f"{change.editor} (previous version kept as {kept_as(args.data, change.id)})")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from geo.store import history
    from geo.store.changelog import ChangeLogError

    try:
        changes = history(args.data)
    except ChangeLogError as error:
        print(error)
        return 1
    for change in reversed(changes):
        if args.json:
            entry = {k: v for k, v in asdict(change).items() if k != "removed_features"}
            print(json.dumps(entry, ensure_ascii=False))
        else:
            print(change.summary())
    if not changes:
        print(f"{store_label(args.data)}: no changes recorded", file=sys.stderr)
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    from geo.store import RevertError, kept_as, revert_change
    from geo.store.changelog import ChangeLogError, cli_editor

    try:
        change = revert_change(args.data, args.change_id, editor=cli_editor())
    except (RevertError, ChangeLogError) as error:
        print(error)
        return 1
    except DatasetError as error:
        for problem in error.problems:
            print(problem)
        print(f"nothing was changed in {store_label(args.data)}", file=sys.stderr)
        return 1
    print(f"reverted change {change.reverts} as change {change.id}: removed {len(change.removed)} events"
          + (f", restored {len(change.added)}" if change.added else "")
          + (f", took sources off {len(change.attached)} events" if change.attached else "")
          + f" (previous version kept as {kept_as(args.data, change.id)})")
    return 0


def cmd_editors(args: argparse.Namespace) -> int:
    from geo.store import editors

    path = editors.editors_path()
    try:
        if args.action == "add":
            editors.check_name(args.name)
            password = editors.read_new_password(sys.stdin, sys.stderr)
            added = editors.add_editor(args.name, password, path)
            print(f"{'added' if added else 'changed the password of'} editor {args.name} in {path}")
        elif args.action == "remove":
            editors.remove_editor(args.name, path)
            print(f"removed editor {args.name} from {path}")
        else:
            listed = editors.list_editors(path)
            for editor in listed:
                print(f"{editor.name}\tadded {editor.added}")
            if not listed:
                print(f"{path}: no editors (add one with: python -m geo editors add NAME)", file=sys.stderr)
    except editors.EditorError as error:
        print(f"python -m geo editors {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


def _perf(argv: list[str]) -> int:
    """Run `python -m perf ARGV` (the measurements live outside the library, in perf/) and give its exit code."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "perf", *argv], cwd=PROJECT_ROOT, check=False).returncode


def cmd_loadtest(args: argparse.Namespace) -> int:
    """An alias of `python -m perf loadtest`: the options given pass through, perf's defaults fill the rest."""
    given = [(f"--{name}", value) for name, value in (("sessions", args.sessions), ("seconds", args.seconds),
                                                      ("think", args.think), ("servers", args.servers)) if value]
    return _perf(["loadtest", *(word for option, value in given for word in (option, str(value)))]
                 + (["--data", str(args.data.resolve())] if args.data else []))


def cmd_bench(args: argparse.Namespace) -> int:
    """An alias of `python -m perf bench`, or with --browser of `python -m perf browser`."""
    if args.browser:
        return _perf(["browser", "--sizes", args.sizes, "--naive-max", str(args.naive_max), "--repeat",
                      str(args.repeat), "--seed", str(args.seed)] + (["--json"] if args.json else []))
    return _perf(["bench", "--events", *map(str, args.events), "--naive-max", str(args.naive_max), "--repeat",
                  str(args.repeat), "--seed", str(args.seed)])


class _Invalid(Exception):
    """The input had problems, so the temporary output is thrown away."""


def cmd_convert(args: argparse.Namespace) -> int:
    """GeoJSON to GeoParquet or back (by the suffixes), validated as it is read and never half-written. A GeoJSON
    input of any size is read feature by feature and the output written batch by batch, so memory stays
    bounded (geo.io.geojson, geo.io.geoparquet_batches)."""
    from geo.events.dataset import MAX_FILE_BYTES
    from geo.io.atomic import write_atomically
    from geo.io.events_file import events_source, is_parquet
    from geo.io.geojson import GeoJSONWriter
    from geo.io.geoparquet_batches import ParquetBatches

    def size(n: int) -> str:
        return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} KB"

    json_suffixes = (".geojson", ".json")
    for path in (args.input, args.output):
        if not is_parquet(path) and path.suffix.lower() not in json_suffixes:
            print(f"python -m geo convert: error: {path}: name it .geojson (or .json) or .parquet, so the format "
                  f"is clear", file=sys.stderr)
            return 2
    try:
        source = events_source(args.input)
    except DatasetError as error:
        for problem in error.problems:
            print(problem)
        return 1
    problems: list = []
    located = 0

    def write(temporary: Path) -> None:
        nonlocal problems
        with (ParquetBatches(temporary) if is_parquet(args.output) else GeoJSONWriter(temporary)) as writer:
            def sink(batch: list, members: list) -> None:
                nonlocal located
                located += sum(feature["geometry"] is not None for feature in batch)
                writer.write(batch, members)

            # The collector stays on: an invalid feature's ValidationError leaves reference cycles (about 30
            # objects each) that only it frees, so pausing it would let a large invalid file grow without bound.
            problems = source.stream(sink)
            if problems:
                raise _Invalid
            writer.finish(source.members)

    try:
        write_atomically(args.output, write)
    except _Invalid:
        for problem in problems:
            print(problem)
        print(f"nothing was written to {args.output}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{args.output}: file: cannot write: {error.strerror or error}")
        return 1
    size_in, size_out = args.input.stat().st_size, args.output.stat().st_size
    print(f"converted {args.input} ({size(size_in)}) to {args.output} ({size(size_out)}): {source.count:,} events, "
          f"{located:,} with a location")
    if not is_parquet(args.output) and size_out > MAX_FILE_BYTES:
        print(f"notice: {args.output} is over the {MAX_FILE_BYTES / 1e6:g} MB limit for GeoJSON events files, so "
              f"the dashboard and export-html will refuse it; use the .parquet file instead", file=sys.stderr)
    return 0


def _database_url(text: str) -> str:
    if not is_database_url(text):
        raise argparse.ArgumentTypeError("expected a PostgreSQL URL, postgresql://user@host:port/database "
                                         "(the password from PGPASSWORD, ~/.pgpass or .streamlit/secrets.toml)")
    return text


def cmd_db(args: argparse.Namespace) -> int:
    """`db init URL`, `db import URL FILE`, `db export URL FILE`: the PostGIS store's tables and its data."""
    import time

    from geo.io.atomic import write_atomically
    from geo.io.events_file import events_source
    from geo.store import encode
    from geo.store.migrations import SCHEMA_VERSION
    from geo.store.postgis import PostgisStore

    store = PostgisStore(args.url)
    if args.action == "init":
        applied = store.init()
        print(f"{store.label}: schema version {SCHEMA_VERSION}"
              + (f" (applied {', '.join(map(str, applied))})" if applied else " (already up to date)"))
        return 0
    started = time.perf_counter()
    if args.action == "import":
        try:  # a GeoJSON file of any size streams into the database in batches (geo.io.geojson)
            count = store.import_collection(events_source(args.file))
        except DatasetError as error:
            for problem in error.problems:
                print(problem)
            print(f"nothing was imported into {store.label}", file=sys.stderr)
            return 1
        print(f"imported {count:,} events from {args.file} into {store.label} in "
              f"{time.perf_counter() - started:.1f} s (version {store.digest()[:8]})")
        return 0
    collection, digest = store.read()
    data = encode(collection)
    try:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(args.file, lambda temporary: temporary.write_bytes(data))
    except OSError as error:
        print(f"{args.file}: file: cannot write: {error.strerror or error}")
        return 1
    print(f"exported {len(collection['features']):,} events (version {digest[:8]}) from {store.label} to "
          f"{args.file} in {time.perf_counter() - started:.1f} s")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check events files against the data contract")
    validate.add_argument("paths", nargs="+", type=data_spec, metavar="PATH",
                          help="events file, crossings file, trade series (.csv), or postgresql:// URL")
    validate.set_defaults(run=cmd_validate)

    export = commands.add_parser("export-html", help="write the map as one standalone HTML file")
    export.add_argument("--data", type=data_spec, default=DEFAULT_DATA, help=DATA_HELP)
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    add_view_arguments(export, "a dashboard link (or its ?query) to reproduce: every filter and the map date")
    export.set_defaults(run=cmd_export_html)

    analyze = commands.add_parser("analyze", help="CSV of each event's country, province, distance to the "
                                                  "border and nearest crossing")
    analyze.add_argument("--data", type=data_spec, default=DEFAULT_DATA, help=DATA_HELP)
    analyze.add_argument("--crossings", type=Path, default=DEFAULT_CROSSINGS,
                         help="crossings file (default: bundled)")
    analyze.add_argument("--in-database", action="store_true",
                         help="with a postgresql:// --data: measure distances to the border and crossings in PostGIS")
    analyze.set_defaults(run=cmd_analyze)

    ingest = commands.add_parser("ingest", help="print candidate events found in a news article (GeoJSON)")
    ingest.add_argument("article", type=Path, metavar="ARTICLE.txt")
    ingest.add_argument("--published", type=iso_date, required=True, metavar="YYYY-MM-DD",
                        help="publication date: relative dates ('last winter') are resolved against it")
    ingest.add_argument("--publisher", default="unknown publisher", metavar="NAME")
    ingest.add_argument("--title", metavar="TEXT", help="default: the article's first line")
    ingest.add_argument("--data", type=data_spec, default=DEFAULT_DATA,
                        help="dataset to match candidates against (default: bundled)")
    ingest.set_defaults(run=cmd_ingest)

    ingest_eval = commands.add_parser("ingest-eval", help="score the ingest on a labelled set of articles: place "
                                                          "precision/recall, event types, dates; ends with JSON")
    ingest_eval.add_argument("folder", type=Path, nargs="?", metavar="DIR",
                             help="articles NAME.txt with labels NAME.json (default: tests/ingest_eval)")
    ingest_eval.set_defaults(run=cmd_ingest_eval)

    add = commands.add_parser("add", help="append reviewed candidates to the dataset, safely")
    add.add_argument("--data", type=data_spec, default=DEFAULT_DATA, help=DATA_HELP)
    add.add_argument("candidates", type=Path, metavar="CANDIDATES.geojson")
    add.set_defaults(run=cmd_add)

    history = commands.add_parser("history", help="list the dataset's recorded changes, newest first")
    history.add_argument("--data", type=data_spec, default=DEFAULT_DATA, help=DATA_HELP)
    history.add_argument("--json", action="store_true", help="one JSON object per change")
    history.set_defaults(run=cmd_history)

    revert = commands.add_parser("revert", help="write a new version without one change's events, recorded")
    revert.add_argument("change_id", metavar="CHANGE_ID", help="as `history` lists it (e.g. 0003 or 3)")
    revert.add_argument("--data", type=data_spec, default=DEFAULT_DATA, help=DATA_HELP)
    revert.set_defaults(run=cmd_revert)

    editors = commands.add_parser("editors", help="who may sign in and append (file: $BORDER_EDITORS, default "
                                                  ".streamlit/editors.toml)")
    editor_actions = editors.add_subparsers(dest="action", required=True)
    editor_add = editor_actions.add_parser("add", help="add an editor, or change their password; the password "
                                                       "is read from stdin when it is not a terminal")
    editor_add.add_argument("name", metavar="NAME")
    editor_remove = editor_actions.add_parser("remove", help="remove an editor")
    editor_remove.add_argument("name", metavar="NAME")
    editor_actions.add_parser("list", help="list the editors' names (never their hashes)")
    editors.set_defaults(run=cmd_editors)

    loadtest = commands.add_parser("loadtest", help="start the app on loopback and drive N readers (real Streamlit "
                                                    "sessions) changing filters while an editor appends; ends with "
                                                    "a table (`python -m perf loadtest`, whose defaults apply)")
    loadtest.add_argument("--sessions", metavar="N[,N...]", help="readers, or a sweep such as 10,20,40")
    loadtest.add_argument("--seconds", metavar="S", help="the measured window, after every reader's first run")
    loadtest.add_argument("--think", metavar="A-B", help="seconds between one reader's changes, uniform in [A, B]")
    loadtest.add_argument("--servers", metavar="K", help="app servers, behind nginx from 2 on")
    loadtest.add_argument("--data", type=Path, help="events file to copy and serve (default: bundled)")
    loadtest.set_defaults(run=cmd_loadtest)

    bench = commands.add_parser("bench", help="measure load, filter and map build on synthetic data of "
                                              "several sizes, against a naive map and the floor")
    bench.add_argument("--events", type=int, nargs="+", default=[1_000, 10_000, 100_000], metavar="N",
                       help="dataset sizes (default: 1000 10000 100000)")
    bench.add_argument("--naive-max", type=int, default=10_000, metavar="N",
                       help="build the naive one-Marker-per-event map only up to this size (default: 10000)")
    bench.add_argument("--repeat", type=int, default=3, metavar="R", help="best of R runs (default: 3)")
    bench.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default: 0)")
    bench.add_argument("--browser", action="store_true",
                       help="instead, time what users wait for in headless Chromium against real Streamlit servers: "
                            "first open, new session, new server, filter change; ours beside the naive peer")
    bench.add_argument("--sizes", default="curated,10000,100000,1000000", metavar="LIST",
                       help="with --browser: comma-separated sizes, 'curated' for the bundled dataset "
                            "(default: curated,10000,100000,1000000)")
    bench.add_argument("--json", action="store_true", help="with --browser: also print every figure as JSON")
    bench.set_defaults(run=cmd_bench)

    convert = commands.add_parser("convert", help="convert an events file between GeoJSON and GeoParquet (by "
                                                  "the names' suffixes), validating it first")
    convert.add_argument("input", type=Path, metavar="IN", help="events file: .geojson/.json or .parquet")
    convert.add_argument("output", type=Path, metavar="OUT", help="file to write (atomically): .parquet or .geojson")
    convert.set_defaults(run=cmd_convert)

    db = commands.add_parser("db", help="the PostGIS store: create or migrate its tables, import or export events")
    db_actions = db.add_subparsers(dest="action", required=True)
    db_init = db_actions.add_parser("init", help="create the tables (and PostGIS), or migrate older ones")
    db_init.add_argument("url", type=_database_url, metavar="URL")
    db_import = db_actions.add_parser("import", help="load an events file (validated first) into an empty dataset")
    db_import.add_argument("url", type=_database_url, metavar="URL")
    db_import.add_argument("file", type=Path, metavar="FILE",
                           help="GeoJSON (any size: read feature by feature) or .parquet events file")
    db_export = db_actions.add_parser("export", help="write the dataset as a GeoJSON file (atomically)")
    db_export.add_argument("url", type=_database_url, metavar="URL")
    db_export.add_argument("file", type=Path, metavar="FILE")
    db.set_defaults(run=cmd_db)
    add_commands(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (argparse exits 2 on usage errors)."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except StoreError as error:  # unreachable, not initialised, refused: one line, never a password
        print(error, file=sys.stderr)
        return 1
