"""Dataset text can never become markup or script, even inside folium's JavaScript strings."""

from geo.markup import escape

HOSTILE = "<script>x()</script>`${alert(1)}`\\u0060\"'&"


def test_markup_is_escaped():
    out = escape("<img src=x onerror=alert(1)>")
    assert "<" not in out and ">" not in out


def test_nothing_can_close_or_interpolate_a_javascript_template_literal():
    out = escape(HOSTILE)
    assert "`" not in out and "${" not in out and "\\" not in out and '"' not in out and "'" not in out


def test_escaping_keeps_the_text_readable():
    assert escape("Dandong – Sinuiju (丹东)") == "Dandong – Sinuiju (丹东)"
