"""Seed files are named by their text's hash alone and can only land directly inside seeds/."""

from __future__ import annotations

import pytest

from geo.seeds import is_url, seed_path, seed_ref, write_seed


@pytest.mark.parametrize("ref", [
    "seeds/../pages/x.py", "seeds/../../etc/passwd", "/etc/passwd", "seeds/sub/0123456789abcdef.txt",
    "seeds/0123456789abcdef.py", "seeds/0123456789ABCDEF.txt", "seeds/..", "pages/x.py", "seeds/%2e%2e/x.txt", "",
])
def test_a_seed_ref_that_is_not_a_hash_named_file_in_seeds_is_refused(ref, tmp_path):
    with pytest.raises(ValueError):
        seed_path(ref, tmp_path)


def test_a_seed_is_named_by_its_texts_hash_and_written_inside_the_seeds_folder(tmp_path):
    text = "import os  # an 'article' that is Python is still only text in a .txt file\n"
    path = write_seed(text, tmp_path)
    assert path.parent == tmp_path.resolve() and path.name == seed_ref(text).removeprefix("seeds/")
    assert path.suffix == ".txt" and path.read_text(encoding="utf-8") == text
    assert write_seed(text, tmp_path) == path and len(list(tmp_path.iterdir())) == 1


def test_a_symlinked_seeds_folder_entry_cannot_redirect_the_write_outside(tmp_path):
    text = "some article"
    outside = tmp_path / "outside.txt"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / seed_ref(text).removeprefix("seeds/")).symlink_to(outside)
    with pytest.raises(ValueError, match="escapes"):
        write_seed(text, seeds)
    assert not outside.exists()


@pytest.mark.parametrize(("ref", "ok"), [
    ("https://www.asiae.co.kr/article/1", True), ("http://example.org/a", True), ("HTTPS://EXAMPLE.ORG", True),
    ("javascript:alert(1)", False), ("seeds/../pages/x.py", False), ("file:///etc/passwd", False),
    ("ftp://example.org/a", False), ("https://", False), ("data:text/html,hi", False),
])
def test_only_http_and_https_refs_count_as_urls(ref, ok):
    assert is_url(ref) is ok
