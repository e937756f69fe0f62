"""Dataset text can never become markup or script, even inside folium's JavaScript strings."""

import pytest

from geo.report.markup import escape, without_paths

HOSTILE = "<script>x()</script>`${alert(1)}`\\u0060\"'&"


def test_markup_is_escaped():
    out = escape("<img src=x onerror=alert(1)>")
    assert "<" not in out and ">" not in out


def test_nothing_can_close_or_interpolate_a_javascript_template_literal():
    out = escape(HOSTILE)
    assert "`" not in out and "${" not in out and "\\" not in out and '"' not in out and "'" not in out


def test_escaping_keeps_the_text_readable():
    assert escape("Dandong – Sinuiju (丹东)") == "Dandong – Sinuiju (丹东)"


def test_template_syntax_in_dataset_text_is_never_evaluated_in_an_export(events, places):
    from geo.map.mapview import build_map

    frame = events.copy()
    frame.loc[frame.index[6], "title"] = "TITLE{{ 7*7 }}{% if true %}IF{% endif %}END"
    html = build_map(frame, places).get_root().render()
    assert "TITLE49" not in html and "TITLE&#123;&#123; 7*7 &#125;&#125;" in html
    assert "{" not in escape("{{ x }}{% y %}")


def test_markdown_text_leaves_no_link_image_directive_or_markup_for_streamlit_to_render():
    from geo.report.markup import markdown_text

    payload = "[sign in](http://x.example/a) ![](http://x.example/b.gif) :red[alarm] $x$ <b>bold</b> **loud**\nnext"
    escaped = markdown_text(payload)
    assert "\n" not in escaped
    for mark in "[]()!:$<>*":  # every one of them is escaped, so none can open a construct
        assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch == mark)


@pytest.mark.parametrize(("text", "shown"), [
    ("/srv/border/data/events.geojson: line 3: not JSON", "events.geojson: line 3: not JSON"),
    ("cannot read '/root/.cache/prepared/ab12.parquet' (disk full)", "cannot read 'ab12.parquet' (disk full)"),
    ("events.geojson: feature 4: title", "events.geojson: feature 4: title"),
    ("see https://example.org/a/b.html and data/README.md", "see https://example.org/a/b.html and data/README.md"),
])
def test_messages_for_visitors_name_files_never_server_paths(text, shown):
    assert without_paths(text) == shown
