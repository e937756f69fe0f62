"""Each event's nested values (sources, figures, status history, via, crossings) kept as JSON text in the frame, and
decoded only for the rows that are read.

At 1,000,000 events these columns as Python lists and dicts held most of the frame's memory (a source is a dict of
four to ten strings: about half a kilobyte an event). A `NestedArray` keeps a column as one Arrow string array, each
cell the compact JSON text of its value (null where the value is missing), so the column costs about its text. It
is a pandas extension array: selecting rows (`frame.iloc[rows]`, `frame.loc[ids]`, a mask) copies text, never
decodes it, and reading a cell (`series.iloc[k]`, `records`, `to_dict`, iterating) decodes that cell into a fresh
list or dict, so readers see the values they always did and can never change the frame's. A question about a
whole column is answered from the text without decoding it (`nonempty`); `nested(frame, column, rows)` is the one
way to take decoded values column-wise.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype
from pandas.api.indexers import check_array_indexer

from geo.events.schema import EventProperties


def _nested_fields() -> tuple[str, ...]:
    return tuple(name for name, field in EventProperties.model_fields.items()
                 if typing.get_origin(field.annotation) in (list, dict))


NESTED_COLUMNS: tuple[str, ...] = _nested_fields()
"""The event properties whose values are lists or objects: the frame keeps them as NestedArray columns."""
EMPTY_TEXTS = ("[]", "{}")
"""The JSON text of an empty list and an empty object (as `json_text` writes them)."""


def json_text(value: Any) -> str:
    """`value` as compact JSON text (keys in their order, non-ASCII kept)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits, or a key that is not text
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def json_value(text: str) -> Any:
    """The value of JSON text (`json_text`'s inverse). Raises ValueError for text that is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # orjson refuses integers beyond 64 bits; json does not
        return json.loads(text, parse_constant=_reject_constant)


def _decoded(text: str | None) -> Any:
    return None if text is None else json_value(text)


@register_extension_dtype
class NestedDtype(ExtensionDtype):
    """The dtype of a NestedArray column: lists and dicts kept as JSON text."""

    name = "nested-json"
    type = object
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> type[NestedArray]:
        return NestedArray


class NestedArray(ExtensionArray):
    """A column of JSON values (lists, dicts, None) held as JSON text in one Arrow array; read-only."""

    def __init__(self, text: pa.Array | pa.ChunkedArray) -> None:
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            raise TypeError(f"a NestedArray holds JSON text, not {text.type}")
        self._text = text.cast(pa.large_string()) if pa.types.is_string(text.type) else text

    @classmethod
    def from_values(cls, values: Iterable[Any]) -> NestedArray:
        """The array of these values (each encoded by `json_text`; None and NaN are missing)."""
        return cls(pa.array([None if value is None or (isinstance(value, float) and value != value)
                             else json_text(value) for value in values], type=pa.large_string()))

    @property
    def text(self) -> pa.LargeStringArray:
        """The JSON text of every cell, null where the value is missing (never modify it)."""
        return self._text

    # --- the pandas extension array interface ----------------------------------------------------------------------

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> NestedArray:
        if isinstance(scalars, NestedArray):
            return scalars.copy() if copy else scalars
        return cls.from_values(scalars)

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: NestedArray) -> NestedArray:
        return cls(pa.array(values, type=pa.large_string(), from_pandas=True))

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        return self._text.to_numpy(zero_copy_only=False), None

    def _values_for_argsort(self) -> np.ndarray:
        return self._text.fill_null("").to_numpy(zero_copy_only=False)

    @property
    def dtype(self) -> NestedDtype:
        return NestedDtype()

    @property
    def nbytes(self) -> int:
        return self._text.nbytes

    def __len__(self) -> int:
        return len(self._text)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            position = int(item) + (len(self) if item < 0 else 0)
            if not 0 <= position < len(self):
                raise IndexError(f"position {item} is out of bounds for {len(self)} values")
            return _decoded(self._text[position].as_py())
        if isinstance(item, slice):
            start, stop, step = item.indices(len(self))
            if step == 1:
                return NestedArray(self._text.slice(start, max(stop - start, 0)))
            return NestedArray(self._text.take(pa.array(np.arange(start, stop, step), type=pa.int64())))
        if isinstance(item, tuple) and len(item) == 1:
            return self[item[0]]
        if item is Ellipsis:
            return self
        item = check_array_indexer(self, item)
        if item.dtype == bool:
            return NestedArray(self._text.filter(pa.array(item, type=pa.bool_())))
        return self.take(item)

    def __setitem__(self, key: Any, value: Any) -> None:
        """Set cells (on a copy: the dataset's frame is never modified). The text is rebuilt: slow, for a few rows."""
        if isinstance(key, (int, np.integer)):
            positions, values = [int(key)], [value]
        else:
            positions = np.arange(len(self))[check_array_indexer(self, key) if not isinstance(key, slice) else key]
            is_many = isinstance(value, (list, tuple, np.ndarray, ExtensionArray, pd.Series)) \
                and len(value) == len(positions)
            values = list(value) if is_many else [value] * len(positions)
        texts = self._text.to_pylist()
        for position, one in zip(positions, values, strict=True):
            texts[position] = NestedArray.from_values([one]).text[0].as_py()
        self._text = pa.array(texts, type=pa.large_string())

    def __iter__(self) -> Iterator[Any]:
        for text in self._text.to_pylist():
            yield _decoded(text)

    def isna(self) -> np.ndarray:
        return self._text.is_null().to_numpy(zero_copy_only=False)

    def take(self, indices: Sequence[int], *, allow_fill: bool = False, fill_value: Any = None) -> NestedArray:
        positions = np.asarray(indices, dtype=np.int64)
        if allow_fill:
            if fill_value is not None:
                raise ValueError("a NestedArray fills missing positions with None only")
            if (positions < -1).any():
                raise ValueError("take: positions below -1 are not allowed when filling")
            missing = positions == -1
            chosen = pa.array(np.where(missing, 0, positions), mask=missing, type=pa.int64())
        else:
            positions = np.where(positions < 0, positions + len(self), positions)
            chosen = pa.array(positions, type=pa.int64())
        if len(positions) and ((positions >= len(self)) | (positions < -1)).any():
            raise IndexError(f"take: a position is out of bounds for {len(self)} values")
        if len(self) == 0 and len(positions):
            if allow_fill and (positions == -1).all():
                return NestedArray(pa.nulls(len(positions), pa.large_string()))
            raise IndexError("take: cannot take from an empty array")
        return NestedArray(self._text.take(chosen))

    def copy(self) -> NestedArray:
        return NestedArray(self._text)  # Arrow arrays are immutable: sharing the text is a copy

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[NestedArray]) -> NestedArray:
        if not to_concat:
            return cls(pa.array([], type=pa.large_string()))
        return cls(pa.concat_arrays([array._text for array in to_concat]))

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if isinstance(other, (pd.Series, pd.Index)):
            other = other.array
        if isinstance(other, NestedArray):
            same = pc.equal(self._text, other._text)
            return pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        if isinstance(other, (list, np.ndarray, ExtensionArray)) and len(other) == len(self):
            return np.array([a == b for a, b in zip(self, other, strict=True)], dtype=bool)
        return np.array([value == other for value in self], dtype=bool)

    def map(self, mapper: Any, na_action: str | None = None) -> Any:
        """`mapper` applied to each decoded value; `bool` (is the value a non-empty list or object?) is answered
        from the text, without decoding (`nonempty`)."""
        plain = mapper.func if isinstance(mapper, functools.partial) and not (mapper.args or mapper.keywords) \
            else mapper  # Series.map hands on functools.partial(mapper)
        if plain is bool:
            return self._nonempty()
        return super().map(mapper, na_action=na_action)

    def _nonempty(self) -> np.ndarray:
        empty = pc.or_(pc.is_in(self._text, pa.array(EMPTY_TEXTS, type=pa.large_string())), pc.is_null(self._text))
        return ~pc.fill_null(empty, True).to_numpy(zero_copy_only=False)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = np.empty(len(self), dtype=object)
        values[:] = list(self)
        return values if dtype is None or np.dtype(dtype) == object else values.astype(dtype)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        if isinstance(dtype, NestedDtype) or dtype == NestedDtype.name:
            return self.copy() if copy else self
        return np.asarray(self, dtype=dtype) if not isinstance(dtype, ExtensionDtype) \
            else dtype.construct_array_type()._from_sequence(list(self), dtype=dtype)

    def __arrow_array__(self, type: pa.DataType | None = None) -> pa.Array:
        """The JSON text (what pyarrow stores for this column)."""
        return self._text if type is None else self._text.cast(type)

    def _formatter(self, boxed: bool = False) -> Any:
        return repr


def nested(frame: pd.DataFrame, column: str, rows: Sequence[int] | np.ndarray | None = None) -> list[Any]:
    """The decoded values of `column` at positions `rows` of `frame` (every row when None), in that order: only
    those rows' text is decoded. Works as well on a frame whose column holds Python values."""
    series = frame[column] if rows is None else frame[column].iloc[np.asarray(rows, dtype=np.int64)]
    return list(series.array)


def nonempty(series: pd.Series) -> np.ndarray:
    """Per row, whether the value is a non-empty list or object (bool array), read from the text alone for a
    NestedArray column (no cell decoded); for a column of Python values, their truth."""
    if isinstance(series.array, NestedArray):
        return series.array._nonempty()
    return series.map(bool).to_numpy(dtype=bool)


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each NESTED_COLUMNS column it has as a NestedArray (a column already one is kept as it is);
    the frame's other columns are not copied."""
    changed = {name: pd.Series(NestedArray.from_values(frame[name].array), index=frame.index, copy=False)
               for name in NESTED_COLUMNS if name in frame.columns and not isinstance(frame[name].array, NestedArray)}
    return frame.assign(**changed) if changed else frame
