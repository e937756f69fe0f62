"""Seed files are named by their text's hash alone, can only land directly inside seeds/, are written before
the commit that cites them and taken back when it fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from geo.store.seeds import SeedError, is_url, seed_kept_for, seed_path, seed_ref
from tests.conftest import ROOT
from tests.disks import fill, small_disk


@pytest.mark.parametrize("ref", [
    "seeds/../pages/x.py", "seeds/../../etc/passwd", "/etc/passwd", "seeds/sub/0123456789abcdef.txt",
    "seeds/0123456789abcdef.py", "seeds/0123456789ABCDEF.txt", "seeds/..", "pages/x.py", "seeds/%2e%2e/x.txt", "",
])
def test_a_seed_ref_that_is_not_a_hash_named_file_in_seeds_is_refused(ref, tmp_path):
    with pytest.raises(ValueError):
        seed_path(ref, tmp_path)


def test_a_seed_is_named_by_its_texts_hash_and_written_inside_the_seeds_folder_before_the_commit(tmp_path):
    text = "import os  # an 'article' that is Python is still only text in a .txt file\n"
    with seed_kept_for(text, tmp_path) as ref:
        [path] = tmp_path.iterdir()  # already there while the commit runs
        assert ref == seed_ref(text) and path.name == ref.removeprefix("seeds/")
        assert path.suffix == ".txt" and path.read_text(encoding="utf-8") == text
    with seed_kept_for(text, tmp_path):
        pass
    assert list(tmp_path.iterdir()) == [path]


def test_a_failed_commit_takes_back_the_seed_it_wrote(tmp_path):
    with pytest.raises(OSError, match="the commit failed"), seed_kept_for("a new article", tmp_path):
        raise OSError("the commit failed")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_commit_leaves_a_seed_that_was_there_before(tmp_path):
    with seed_kept_for("an article other events cite", tmp_path):
        pass
    [before] = tmp_path.iterdir()
    with pytest.raises(KeyboardInterrupt), seed_kept_for("an article other events cite", tmp_path):
        raise KeyboardInterrupt  # even a stop mid-commit
    assert list(tmp_path.iterdir()) == [before] and before.read_text(encoding="utf-8") == "an article other events cite"


def test_a_seed_on_a_full_disk_is_refused_in_one_line_and_nothing_of_it_is_left(tmp_path):
    with small_disk(tmp_path / "disk", 64 * 1024) as disk:
        fill(disk)
        ran = []
        with pytest.raises(SeedError) as caught, seed_kept_for("an article " * 2000, disk):
            ran.append(True)
        assert str(caught.value) == "the article's text could not be kept in seeds/: No space left on device"
        assert ran == [] and [p.name for p in disk.iterdir()] == ["filler.bin"]


def test_a_seed_past_a_file_size_limit_is_refused_in_one_line_and_nothing_of_it_is_left(tmp_path):
    # Another kind of full: a process whose files may not grow past 1,000 bytes (writes past it fail, EFBIG).
    child = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from geo.store.seeds import SeedError, seed_kept_for\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
        "try:\n"
        "    with seed_kept_for('an article ' * 500, Path(sys.argv[1])):\n"
        "        print('the commit ran')\n"
        "except SeedError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", child, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout == "the article's text could not be kept in seeds/: File too large\n", result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_seeds_folder_that_does_not_exist_is_refused_in_one_line(tmp_path):
    with pytest.raises(SeedError, match="^the seeds folder cannot be used: No such file or directory$"):
        with seed_kept_for("an article", tmp_path / "missing"):
            pass


def test_a_symlinked_seeds_folder_entry_cannot_redirect_the_write_outside(tmp_path):
    text = "some article"
    outside = tmp_path / "outside.txt"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / seed_ref(text).removeprefix("seeds/")).symlink_to(outside)
    with pytest.raises(ValueError, match="escapes"), seed_kept_for(text, seeds):
        pass
    assert not outside.exists()


@pytest.mark.parametrize(("ref", "ok"), [
    ("https://www.asiae.co.kr/article/1", True), ("http://example.org/a", True), ("HTTPS://EXAMPLE.ORG", True),
    ("javascript:alert(1)", False), ("seeds/../pages/x.py", False), ("file:///etc/passwd", False),
    ("ftp://example.org/a", False), ("https://", False), ("data:text/html,hi", False),
])
def test_only_http_and_https_refs_count_as_urls(ref, ok):
    assert is_url(ref) is ok
