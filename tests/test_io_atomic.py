"""Writing a file atomically (geo.io.atomic): the old file or the whole new one, with its mode, and nothing
left behind when the write fails."""

from __future__ import annotations

import stat

import pytest

from geo.io.atomic import write_atomically, write_bytes_atomically


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_bytes_replace_the_file_with_the_mode_asked_for_and_no_temporary_file_left(tmp_path):
    path = tmp_path / "editors.toml"
    path.write_bytes(b"old")
    write_bytes_atomically(path, b"new", 0o600)
    assert path.read_bytes() == b"new" and mode(path) == 0o600
    write_bytes_atomically(path, b"newer")
    assert path.read_bytes() == b"newer" and mode(path) == 0o644  # the default: readable by all
    assert [p.name for p in tmp_path.iterdir()] == ["editors.toml"]


def test_a_writer_may_write_the_temporary_file_or_replace_it(tmp_path):
    path = tmp_path / "out.gpkg"

    def replace_it(temporary):
        made = temporary.with_name(temporary.name + ".gpkg")  # as GDAL makes its own file
        made.write_bytes(b"made elsewhere")
        made.replace(temporary)

    write_atomically(path, replace_it)
    assert path.read_bytes() == b"made elsewhere" and mode(path) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.gpkg"]


def test_a_failed_write_leaves_the_old_file_and_removes_its_temporary_file(tmp_path):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"old")
    seen = []

    def fail_halfway(temporary):
        seen.append(temporary)
        assert temporary.parent == tmp_path and temporary.name.startswith(".events.parquet.")
        temporary.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, fail_halfway)
    assert path.read_bytes() == b"old" and not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["events.parquet"]
