"""GeoJSON events files of any size, read one feature at a time with bounded memory.

`geo.events.dataset.read_json` parses a whole file at once, so the dashboard and export-html read at most
MAX_FILE_BYTES of GeoJSON. `EventsFile` reads the same strict JSON a chunk at a time for `validate`,
`convert` and `db import`: this module follows the top-level object and its `features` array itself, and
parses each feature (and every other value) with the very decoder `read_json` uses (STRICT_JSON), so a
file gets the problems `read_json` plus `validate_collection` give it, in the same words, at the same line
and column, in the same order of precedence:

1. a UTF-16/32 byte order mark; a NUL byte anywhere; an empty file; bytes that are not UTF-8 anywhere;
2. the first JSON error (a NUL byte or non-UTF-8 bytes later in the file are still named instead, as
   `read_json` checks the whole file's bytes before parsing); a key given twice in the top-level object
   when that object closes; nesting deeper than MAX_DEPTH once everything else parsed;
3. only then the contract: `geo.events.schema.validate_collection` itself runs over the features as they are read
   (duplicate ids and the MAX_PROBLEMS cut included).

Memory is bounded by one chunk of text (CHUNK_BYTES), the largest single feature and one batch of features
(BATCH_FEATURES), whatever the size of the file, plus what validate_collection keeps: the ids seen (about
100 bytes per feature) and, for an invalid file, every problem found until it cuts the list at MAX_PROBLEMS.
Deliberate differences from reading the file whole:
- there is no size limit, but one feature (or any other value in the file) may hold at most
  MAX_VALUE_CHARS characters of JSON; a larger one is one `file` problem saying so;
- arrays and objects nested close to Python's recursion limit (about 990 levels) may be reported when that
  feature is read rather than after the rest of the file parsed (same message either way);
- when the collection's `type` is not given before its `features`, or another member comes after them, the
  file is read twice, so that the features are checked knowing every member.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NoReturn, Protocol

from geo.events.dataset import (
    MAX_DEPTH,
    STRICT_JSON,
    TOO_DEEP,
    DatasetError,
    _object,
    _too_deep,
    bom_message,
    empty_message,
    json_message,
    nul_message,
    position,
    starting_bom,
    utf8_message,
)
from geo.events.schema import Problem, validate_collection, validate_feature

CHUNK_BYTES = 4 << 20
"""Bytes read from the file at a time."""
BATCH_FEATURES = 5_000
"""Features handed to a sink at a time (each batch is checked before it is handed on)."""
MAX_VALUE_CHARS = 32_000_000
"""Most characters of JSON one feature (or any other value in the file) may take when a file is streamed."""
_LOOKAHEAD = 16
"""A parse that fails near the end of what has been read is tried again with at least this many characters
more: longer than any JSON token that can be cut short (`-Infinity`, a `\\uXXXX` escape), so a failure that
stays the same is the file's own and not the chunk's end."""
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_COMMA = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_FEATURES = object()
"""Stands for the value of the streamed `features` member among the members read."""

Validator = Callable[[Any, int, str], list[Problem]]
Members = list[tuple[str, Any]]
Sink = Callable[[list[dict[str, Any]], Members], None]
"""Takes a batch of features (each already found valid on its own) and the collection's members read so far
(in file order, `features` with the value None); see `EventsSource.stream`."""


class EventsSource(Protocol):
    """Events checked and handed on in batches: a file read feature by feature (`EventsFile`) or a collection
    already in memory (`CollectionSource`)."""

    file: str
    """How problems name it."""
    members: Members
    """After `stream`: the collection's members in order, `features` with the value None."""
    count: int
    """After `stream`: how many features there are."""

    def stream(self, sink: Sink | None = None, validate_one: Validator | None = None) -> list[Problem]:
        """Check everything (`validate_one` each feature, default the events contract) and return every
        problem, empty when valid. While no feature has had a problem, hand the features in order to
        `sink` in batches; the whole is valid only when the list returned is empty, so a sink writes
        somewhere it can throw away (a temporary file, a transaction) and keeps it only then."""


class CollectionSource:
    """A parsed FeatureCollection offered as a source: validated whole by `validate_collection`, then handed
    on in batches."""

    def __init__(self, collection: Any, file: str, batch_features: int = BATCH_FEATURES):
        self.collection, self.file, self.batch_features = collection, file, batch_features
        members = collection.items() if isinstance(collection, dict) else ()
        self.members: Members = [(key, None if key == "features" else value) for key, value in members]
        self.count = 0

    def stream(self, sink: Sink | None = None, validate_one: Validator | None = None) -> list[Problem]:
        problems = validate_collection(self.collection, self.file, validate_one)
        if problems:
            return problems
        features = self.collection["features"]
        self.count = len(features)
        for start in range(0, len(features), self.batch_features) if sink else ():
            sink(features[start:start + self.batch_features], self.members)
        return []


class CleanSoFar:
    """A feature validator (`validate_one`, default the events contract) that remembers whether every feature it
    has checked was valid (`clean`): a source hands features on to its sink only while they all were."""

    def __init__(self, validate_one: Validator | None = None):
        self._check = validate_one or validate_feature
        self.clean = True

    def __call__(self, feature: Any, index: int, file: str) -> list[Problem]:
        problems = self._check(feature, index, file)
        self.clean = self.clean and not problems
        return problems


class _Features(list):  # a list on purpose: validate_collection asks isinstance(features, list)
    """The `features` of a collection being read: `validate_collection` iterates it once, and each feature is
    read from the file as it asks for it. Nothing is stored in the list itself."""

    def __init__(self, features: Iterator[Any]):
        super().__init__()
        self._features = features

    def __iter__(self) -> Iterator[Any]:
        return self._features


class _Bytes:
    """A file's text, read and decoded a chunk at a time, with `read_json`'s checks of its bytes: a UTF-16/32
    byte order mark, a NUL byte, bytes that are not UTF-8 (a UTF-8 byte order mark is dropped)."""

    def __init__(self, path: Path, file: str, chunk_bytes: int):
        if chunk_bytes < 4:
            raise ValueError("chunk_bytes must be at least 4 (a byte order mark)")
        self._path, self.file, self._chunk_bytes = path, file, chunk_bytes
        self._stream: BinaryIO | None = None
        self.read_bytes = 0  # bytes read so far
        self._lines = 0  # b"\n" among them
        self._last_newline = -1  # offset of the last one
        self._pending = b""  # the start of a UTF-8 sequence cut by the chunk's end
        self.exhausted = False  # every byte has been read and its text returned

    def __enter__(self) -> _Bytes:
        try:
            self._stream = Path(self._path).open("rb")
        except OSError as error:
            raise self.fail(f"cannot read file: {error.strerror or error}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._stream is not None:
            self._stream.close()

    def fail(self, message: str) -> DatasetError:
        """A `file` problem with this file."""
        return DatasetError([Problem(self.file, "file", message)])

    def _where(self, data: bytes, index: int, data_start: int) -> str:
        """Line and column of byte `index` of `data`, which starts at offset `data_start` of the file (and
        holds no newline before the bytes counted in `_lines`)."""
        newline = data.rfind(b"\n", 0, index)
        line = self._lines + data.count(b"\n", 0, index) + 1
        column = index - newline if newline >= 0 else data_start + index - self._last_newline
        return position(line, column)

    def _chunk(self) -> bytes:
        assert self._stream is not None
        try:
            chunk = self._stream.read(self._chunk_bytes)
        except OSError as error:
            raise self.fail(f"cannot read file: {error.strerror or error}") from None
        start = self.read_bytes
        if start == 0:
            encoding = starting_bom(chunk)
            if encoding:
                raise self.fail(bom_message(encoding))
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise self.fail(nul_message(self._where(chunk, nul, start), start + nul))
        return chunk

    def _counted(self, chunk: bytes) -> None:
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            self._lines += chunk.count(b"\n")
            self._last_newline = self.read_bytes + newline
        self.read_bytes += len(chunk)

    def read(self) -> str:
        """The next piece of text, '' once the whole file has been returned. Raises DatasetError naming the
        file's first NUL byte, else its first byte that is not UTF-8 (the rest of the file is read first then,
        since a NUL byte anywhere comes first)."""
        while not self.exhausted:
            chunk = self._chunk()
            start, data = self.read_bytes, self._pending + chunk
            data_start = start - len(self._pending)
            try:
                text, used = codecs.utf_8_decode(data, "strict", not chunk)
            except UnicodeDecodeError as error:
                problem = self.fail(utf8_message(data[error.start], self._where(data, error.start, data_start),
                                                 data_start + error.start))
                self._counted(chunk)
                while more := self._chunk():  # a NUL byte later in the file is named instead
                    self._counted(more)
                raise problem from None
            if data_start == 0 and data.startswith(codecs.BOM_UTF8):
                text = text[1:]
            self._pending = data[used:]
            self._counted(chunk)
            self.exhausted = not chunk
            if text:
                return text
        return ""

    def finish(self) -> None:
        """Read the rest of the file for its byte-level problems (before a JSON error is reported)."""
        while self.read():
            pass


class _Parser:
    """JSON text from `_Bytes`, parsed as `json.loads` with STRICT_JSON parses it whole: the top level here,
    each value by `json.JSONDecoder.raw_decode` (see the module docstring)."""

    def __init__(self, text: _Bytes, max_value_chars: int):
        self._text, self._max = text, max_value_chars
        self._decoder = json.JSONDecoder(**STRICT_JSON)
        self._buffer, self._pos = "", 0
        self._base = 0  # characters of the text before the buffer
        self._lines = 0  # "\n" among them
        self._last_newline = -1  # index of the last one
        self._too_deep = False

    # --- the buffer ---------------------------------------------------------------------------------------

    def _more(self) -> bool:
        """Drop what has been parsed and read at least _LOOKAHEAD more characters (fewer at the end of the
        file); False when there were none left."""
        done = self._buffer[:self._pos]
        newline = done.rfind("\n")
        if newline >= 0:
            self._lines += done.count("\n")
            self._last_newline = self._base + newline
        self._base += self._pos
        pieces, added = [self._buffer[self._pos:]], 0
        while added < _LOOKAHEAD and (text := self._text.read()):
            pieces.append(text)
            added += len(text)
        self._buffer, self._pos = "".join(pieces), 0
        return added > 0

    def _skip(self) -> str:
        """Skip JSON white space; the next character, '' at the end of the text."""
        while True:
            self._pos = _WHITESPACE.match(self._buffer, self._pos).end()
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    # --- problems -----------------------------------------------------------------------------------------

    def _fail(self, message: str) -> NoReturn:
        self._text.finish()  # a NUL byte or a byte that is not UTF-8 anywhere is named first, as read_json does
        raise self._text.fail(message)

    def _json_error(self, message: str, index: int) -> NoReturn:
        """A JSON syntax error at `index` of the buffer, with the line and column json.loads would give."""
        newline = self._buffer.rfind("\n", 0, index)
        line = self._lines + self._buffer.count("\n", 0, index) + 1
        column = index - newline if newline >= 0 else self._base + index - self._last_newline
        self._fail(json_message(line, column, message))

    # --- values -------------------------------------------------------------------------------------------

    def _parse(self, decode: Callable[[str, int], tuple[Any, int]], what: str) -> tuple[Any, int]:
        """`decode(buffer, position)` at the current position, reading on while what was read ends too soon;
        returns the value and where it started in the buffer, and moves past it. Problems as read_json's."""
        previous: tuple[Any, ...] | None = None
        while True:
            try:
                value, end = decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                failure: tuple[Any, ...] = ("json", error.msg, self._base + error.pos)
                cut_short = error.msg.startswith("Unterminated string")  # its position is where it starts
            except RecursionError:
                failure, cut_short = ("deep",), False
            except ValueError as error:  # a STRICT_JSON hook: NaN, a huge number, a key given twice
                failure, cut_short = ("value", str(error)), False
            else:
                if end - self._pos > self._max:
                    self._too_big(what)
                if end < len(self._buffer) or self._text.exhausted:
                    start, self._pos = self._pos, end
                    return value, start
                failure, cut_short = ("at the end",), True  # a number may go on in the next chunk
            final = self._text.exhausted or (failure == previous and not cut_short)
            if final:
                if failure[0] == "json":
                    self._json_error(failure[1], failure[2] - self._base)
                self._fail(TOO_DEEP if failure[0] == "deep" else f"not valid JSON: {failure[1]}")
            if len(self._buffer) - self._pos > self._max:
                self._too_big(what)
            previous = failure
            self._more()

    def _too_big(self, what: str) -> NoReturn:
        self._fail(f"{what} is more than {self._max:,} characters of JSON, the most one value may take when a file "
                   f"is read feature by feature")

    def _value(self, depth: int, what: str) -> Any:
        """The JSON value at the current position, nested at `depth` of the document."""
        value, start = self._parse(self._decoder.raw_decode, what)
        brackets = self._buffer.count("[", start, self._pos) + self._buffer.count("{", start, self._pos)
        if depth + brackets - 1 > MAX_DEPTH and _too_deep(value, depth):  # reported once all else parsed
            self._too_deep = True
        return value

    def _array(self, depth: int, what: str) -> Iterator[Any]:
        """The elements of the array at the current position, one at a time, as json's scanner reads them."""
        self._pos += 1
        char, index = self._skip(), 0
        if char != "]":
            while True:
                yield self._value(depth + 1, f"{what} {index}")
                index += 1
                comma = _COMMA.match(self._buffer, self._pos)  # the usual case, in one step
                if comma and comma.end() < len(self._buffer):
                    self._pos = comma.end()
                    continue
                if self._closes("]"):
                    break
                self._skip()
        self._pos += 1

    def _closes(self, close: str) -> bool:
        """After an item of an array or object: whether `close` ends it there (not yet passed), else past the
        comma that must follow."""
        char = self._skip()
        if char == close:
            return True
        if char != ",":
            self._json_error("Expecting ',' delimiter", self._pos)
        self._pos += 1
        return False

    def events(self) -> Iterator[tuple[str, Any, Any]]:
        """The document, as it is read: ("member", key, value) for each member of a top-level object, in order,
        where the value of the first `features` array is _FEATURES and is followed by ("feature", index,
        feature) for each of its elements and ("end", None, None); or ("document", None, value) for a
        top-level value that is not an object (an array as an empty list: its type is all that is asked).
        Raises DatasetError with the file's one problem, when it has one, as soon as it is certain."""
        char = self._skip()
        if char == "":
            raise self._text.fail(empty_message(self._text.read_bytes == 0))
        if self._base == 0 and self._pos == 0 and char == "\ufeff":  # json.loads refuses a second one
            self._json_error("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
        if char == "{":
            yield from self._members()
        elif char == "[":
            for _ in self._array(1, "element"):
                pass
            yield "document", None, []
        else:
            yield "document", None, self._value(1, "the document")
        if self._skip() != "":
            self._json_error("Extra data", self._pos)
        if self._too_deep:
            raise self._text.fail(TOO_DEEP)

    def _members(self) -> Iterator[tuple[str, Any, Any]]:
        """The members of the top-level object, as json's scanner reads an object (see `events`)."""
        self._pos += 1
        char, pairs = self._skip(), []
        if char != "}":
            while True:
                if char != '"':
                    self._json_error("Expecting property name enclosed in double quotes", self._pos)
                key, _ = self._parse(lambda text, at: json.decoder.scanstring(text, at + 1, True),
                                     "a member's name")
                if self._skip() != ":":
                    self._json_error("Expecting ':' delimiter", self._pos)
                self._pos += 1
                char = self._skip()
                if char == "[" and key == "features" and all(value is not _FEATURES for _, value in pairs):
                    value = _FEATURES
                    yield "member", key, value
                    for index, feature in enumerate(self._array(2, "feature")):
                        yield "feature", index, feature
                    yield "end", None, None
                elif char == "[" and key == "features":  # given twice: an error once the object closes
                    value = None
                    for _ in self._array(2, "feature"):
                        pass
                else:
                    value = self._value(2, f"the member {key!r}")
                    yield "member", key, value
                pairs.append((key, value))
                if self._closes("}"):
                    break
                char = self._skip()
        self._pos += 1
        try:
            _object(pairs)  # read_json's object hook runs as the object closes: a key given twice
        except ValueError as error:
            self._fail(f"not valid JSON: {error}")


class EventsFile:
    """A GeoJSON events file read feature by feature (see the module docstring); an `EventsSource`."""

    def __init__(self, path: Path, *, chunk_bytes: int = CHUNK_BYTES, batch_features: int = BATCH_FEATURES,
                 max_value_chars: int = MAX_VALUE_CHARS):
        self.path, self.file = Path(path), str(path)
        self.chunk_bytes, self.batch_features, self.max_value_chars = chunk_bytes, batch_features, max_value_chars
        self.members: Members = []
        self.count = 0

    def stream(self, sink: Sink | None = None, validate_one: Validator | None = None) -> list[Problem]:
        """Read the whole file, checking it as `read_json` and `validate_collection` would (see
        `EventsSource.stream`); returns every problem, empty when the file is valid. The file is read once,
        or twice when a member of the collection comes after `features` or its `type` is not given before
        them: the features are checked knowing every member, on the second read."""
        try:
            problems, members = self._read(sink, validate_one, None)
            features = next((n for n, (key, _) in enumerate(members) if key == "features"), len(members))
            if problems is None:  # not checked yet: its "type" was not given before its features
                problems, _ = self._read(sink, validate_one, dict(members))
            elif features < len(members) - 1:  # checked, but a member came after the features
                problems, _ = self._read(None, validate_one, dict(members))
        except DatasetError as error:
            return error.problems
        return problems or []

    def _read(self, sink: Sink | None, validate_one: Validator | None,
              known: dict[str, Any] | None) -> tuple[list[Problem] | None, Members]:
        """Read the file once: its problems (None when the features came before the collection's "type", so
        were not checked) and its members. `known`: every member, from an earlier read."""
        validate = CleanSoFar(validate_one)
        members: Members = []
        problems: list[Problem] | None = None
        with _Bytes(self.path, self.file, self.chunk_bytes) as text:
            events = _Parser(text, self.max_value_chars).events()
            data: Any = _FEATURES  # stands for "not to be checked on this read"
            for kind, key, value in events:
                if kind == "document":
                    data = value
                    break
                members.append((key, None if value is _FEATURES else value))
                if value is _FEATURES:
                    collection = {**(known or dict(members))}
                    if known is not None or "type" in collection:
                        features = self._features(events, sink, members, lambda: validate.clean)
                        collection["features"] = _Features(features)
                        data = collection
                    break
            else:  # an object with no features array to stream: every member has been read
                data = dict(members)
            if data is not _FEATURES:
                problems = validate_collection(data, self.file, validate)
            for kind, key, value in events:  # what validate_collection did not ask for, and members after features
                if kind == "member":
                    members.append((key, value))
        self.members = members
        return problems, members

    def _features(self, events: Iterator[tuple[str, Any, Any]], sink: Sink | None, members: Members,
                  clean: Callable[[], bool]) -> Iterator[Any]:
        """The features from `events`, handing each batch on to `sink` once all its features were checked
        (validate_collection checks each feature before asking for the next) and while none had a problem."""
        batch: list[Any] = []
        self.count = 0
        for kind, _, feature in events:
            if kind != "feature":
                break
            if len(batch) == self.batch_features:
                if clean():
                    sink(batch, members)
                batch = []
            if sink is not None:
                batch.append(feature)
            self.count += 1
            yield feature
        if batch and clean():
            sink(batch, members)


# --- writing a collection in pieces ----------------------------------------------------------------------------


class CollectionText:
    """The text `json.dumps(collection, ensure_ascii=False, indent=indent)` gives (compact, as
    `separators=(",", ":")`, when indent is None), made in pieces as the features arrive: `start(members)`
    before the first feature, `features(batch)` for each batch, `end(members)` after the last. `members` are
    the collection's members in order, `features` among them (its value unused)."""

    def __init__(self, indent: int | None = None):
        self._indent = indent
        self._options: dict[str, Any] = ({"ensure_ascii": False, "separators": (",", ":")} if indent is None
                                         else {"ensure_ascii": False, "indent": indent})
        self._written = 0

    def _key(self, key: str) -> str:
        """A member's name and its separator, on a line of its own when indented."""
        name = json.dumps(key, ensure_ascii=False)
        return f"{name}:" if self._indent is None else f"\n{' ' * self._indent}{name}: "

    def _member(self, key: str, value: Any) -> str:
        text = json.dumps(value, **self._options)
        return self._key(key) + (text if self._indent is None else text.replace("\n", "\n" + " " * self._indent))

    def start(self, members: Members) -> str:
        """Everything before the first feature."""
        head = members[:[key for key, _ in members].index("features")]
        return "{" + ",".join(self._member(k, v) for k, v in head) + ("," if head else "") + self._key("features") + "["

    def features(self, batch: list[Any]) -> str:
        """The features of one batch, after those already given."""
        if not batch:
            return ""
        first = "," if self._written else ""
        self._written += len(batch)
        if self._indent is None:
            return first + json.dumps(batch, **self._options)[1:-1]
        pad = "\n" + " " * (2 * self._indent)
        return first + ",".join(pad + json.dumps(f, **self._options).replace("\n", pad) for f in batch)

    def end(self, members: Members) -> str:
        """Everything after the last feature."""
        tail = members[[key for key, _ in members].index("features") + 1:]
        close = "]" if self._indent is None or not self._written else "\n" + " " * self._indent + "]"
        return close + "".join("," + self._member(k, v) for k, v in tail) + ("}" if self._indent is None else "\n}")


class GeoJSONWriter:
    """Writes a collection to `path` as `geo.store.encode` does (indented UTF-8 JSON and a final newline),
    batch by batch: `write(batch, members)` is a Sink, `finish(members)` closes the file."""

    def __init__(self, path: Path):
        self._out = Path(path).open("w", encoding="utf-8", newline="\n")
        self._text = CollectionText(indent=1)
        self._started = False

    def write(self, batch: list[dict[str, Any]], members: Members) -> None:
        if not self._started:
            self._out.write(self._text.start(members))
            self._started = True
        self._out.write(self._text.features(batch))

    def finish(self, members: Members) -> None:
        """Write what follows the features and close the file."""
        self.write([], members)
        self._out.write(self._text.end(members) + "\n")
        self._out.close()

    def __enter__(self) -> GeoJSONWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._out.close()
