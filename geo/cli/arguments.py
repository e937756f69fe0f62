"""The arguments several commands share: the events they read (`--data`), dates, and the view's flags.

geo.cli.main and geo.cli.tables both take them from here (main imports tables, never the reverse). The view's
flags (`--layer`, `--event-type`, `--since`, `--until`) come from geo.view.fields, so export-html, export and
any other command that takes filters offer the same flags with the same meaning, and `--view` a whole link.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from typing import Any

import geopandas as gpd

from geo.events.dataset import DatasetError, frame_from_collection
from geo.paths import BUNDLED_EVENTS
from geo.store import Spec, open_store
from geo.view.fields import FIELDS
from geo.view.filters import Filters

DEFAULT_DATA = BUNDLED_EVENTS


def iso_date(text: str) -> dt.date:
    """A YYYY-MM-DD argument (argparse reports anything else as a usage error)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


ARGUMENT_TYPES = {"date": iso_date}
"""How each kind of value a view flag takes (geo.view.fields.Flag.type) is read from the command line."""


def load_or_report(spec: Spec) -> gpd.GeoDataFrame | None:
    """The validated events frame of a file or database, or None after printing every problem."""
    try:
        store = open_store(spec)
        return frame_from_collection(store.read()[0], store.label)
    except DatasetError as error:
        for problem in error.problems:
            print(problem)
        return None


def add_view_arguments(parser: argparse.ArgumentParser, link_help: str) -> None:
    """The flag of each view field that has one (geo.view.fields), then `--view LINK` (`link_help` says what the
    command takes from the link)."""
    for field in FIELDS:
        flag = field.flag
        if flag is None:
            continue
        options: dict[str, Any] = {"metavar": flag.metavar, "help": flag.help}
        if flag.repeat:
            options["action"] = "append"
        if flag.choices:
            options["choices"] = list(flag.choices)
        if flag.type:
            options["type"] = ARGUMENT_TYPES[flag.type]
        parser.add_argument(flag.name, **options)
    flags = "/".join(field.flag.name for field in FIELDS if field.flag)
    parser.add_argument("--view", metavar="LINK", help=f"{link_help}; {flags} override it")


def view_from_args(frame: gpd.GeoDataFrame, args: argparse.Namespace) -> tuple[Filters, dt.date]:
    """The filters and map date the flags ask for: the dashboard's default view of `frame`, then `--view`'s link
    (a notice on stderr for each value it has that the data does not), then each view field's flag given."""
    from geo.events.vocabulary import LAYERS
    from geo.view.link import dataset_view, view_from_link

    view = dataset_view(frame, list(LAYERS))
    if args.view:
        view, notices = view_from_link(args.view, view, list(frame["id"]))
        for notice in notices:
            print(f"notice: {notice}", file=sys.stderr)
    changes: dict[str, dict[str, Any]] = {"filters": {}, "view": {}}
    for field in FIELDS:
        given = getattr(args, field.flag.dest) if field.flag else None
        if given:  # a flag not given is None (an append flag given is a non-empty list)
            changes[field.part][field.name] = tuple(given) if field.flag.repeat else given
    view = replace(view, filters=replace(view.filters, **changes["filters"]), **changes["view"])
    return view.filters, view.as_of
