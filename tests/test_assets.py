"""geo.map.assets: folium's front-end files served from this machine instead of public CDNs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import folium
import pytest
from folium.folium import _default_css, _default_js

from geo.map.assets import (
    CSS_ASSETS,
    DROPPED_CSS,
    JS_ASSETS,
    OWN_JS_DIR,
    OWN_JS_URL,
    PROJECT_ROOT,
    VENDOR_DIR,
    add_own_script,
    install,
    missing,
    own_js_base,
    own_scripts,
    standalone_html,
    use_local_assets,
    vendored_files,
)

CDN_MARKERS = ("cdn.jsdelivr", "cdnjs", "code.jquery", "netdna")
NODE_MODULES = PROJECT_ROOT / "node_modules"
needs_node_modules = pytest.mark.skipif(
    not all((NODE_MODULES / name).is_file() for name in vendored_files()),
    reason="node_modules absent or incomplete: run scripts/install_assets (needs node and npm)",
)


@pytest.fixture
def installed_root(tmp_path: Path) -> Path:
    """A project root whose static/vendor was installed from the repository's node_modules."""
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    install(tmp_path)
    return tmp_path


def test_use_local_assets_changes_only_the_given_map() -> None:
    local, other = folium.Map(), folium.Map()
    use_local_assets(local, "/app/static/vendor")

    assert all(url.startswith("/app/static/vendor/") for _, url in local.default_js + local.default_css)
    assert other.default_js == _default_js and other.default_css == _default_css
    assert folium.Map.default_js is _default_js and folium.Map.default_css is _default_css
    assert all(url.startswith("https://") for _, url in _default_js + _default_css)


def test_local_assets_replace_folium_defaults_by_name_except_the_dropped_css() -> None:
    assert [asset.name for asset in JS_ASSETS] == [name for name, _ in _default_js]
    kept_css = [name for name, _ in _default_css if name not in DROPPED_CSS]
    assert [asset.name for asset in CSS_ASSETS] == kept_css


def test_map_with_local_assets_renders_no_cdn_urls() -> None:
    m = folium.Map(tiles=None, location=[41, 126], zoom_start=6)
    use_local_assets(m, base_url="/app/static/vendor")
    folium.Marker([40.13, 124.39], tooltip="Dandong").add_to(m)

    html = m.get_root().render()

    assert not [marker for marker in CDN_MARKERS if marker in html]
    assert '<script src="/app/static/vendor/leaflet/dist/leaflet.js"></script>' in html


def test_default_marker_images_load_from_the_local_leaflet_copy() -> None:
    m = folium.Map(tiles=None)
    use_local_assets(m, "map_files/")
    use_local_assets(m, "map_files/")

    html = m.get_root().render()

    assert html.count("L.Icon.Default.imagePath") == 1
    assert 'L.Icon.Default.imagePath = "map_files/leaflet/dist/images/";' in html


@needs_node_modules
def test_installed_files_exist_and_none_is_missing(installed_root: Path) -> None:
    assert all((installed_root / VENDOR_DIR / name).is_file() for name in vendored_files())
    assert (installed_root / VENDOR_DIR / "manifest.json").is_file()
    assert missing(installed_root) == []


@needs_node_modules
def test_a_tampered_or_deleted_copy_is_reported_missing(installed_root: Path) -> None:
    vendor = installed_root / VENDOR_DIR
    with (vendor / "leaflet/dist/leaflet.js").open("a") as copy:
        copy.write("\n// tampered\n")
    (vendor / "jquery/dist/jquery.min.js").unlink()

    assert missing(installed_root) == [
        "static/vendor/jquery/dist/jquery.min.js",
        "static/vendor/leaflet/dist/leaflet.js",
    ]


@needs_node_modules
def test_check_command_exits_one_naming_the_modified_file(installed_root: Path) -> None:
    (installed_root / VENDOR_DIR / "bootstrap/dist/css/bootstrap.min.css").write_text("/* not bootstrap */")

    result = subprocess.run(
        [sys.executable, "-m", "geo.map.assets", "check", "--root", str(installed_root)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "static/vendor/bootstrap/dist/css/bootstrap.min.css: differs from manifest.json" in result.stdout


@needs_node_modules
def test_standalone_html_embeds_every_library_and_font_and_links_nothing(installed_root: Path) -> None:
    m = folium.Map(location=[41, 126], zoom_start=6, tiles=None)
    folium.Marker([40.1, 124.4], icon=folium.DivIcon(html='<i class="fa-solid fa-train"></i>')).add_to(m)

    html = standalone_html(m, root=installed_root)

    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="', html)
    assert "L.map(" in html and "jQuery" in html and "font/woff2;base64," in html
    assert not any(marker in html for marker in CDN_MARKERS)
    assert ".ttf" not in html


def test_standalone_html_refuses_when_nothing_is_installed(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="install_assets"):
        standalone_html(folium.Map(), root=tmp_path)


def test_install_assets_without_npm_exits_zero_with_a_notice(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "install_assets")],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert "node/npm not found" in result.stderr and "CDN" in result.stderr


# --- Our own scripts (static/js): served by URL in the dashboard, inlined in exports --------------

def test_every_own_script_is_valid_javascript() -> None:
    scripts = own_scripts()
    assert {p.name for p in scripts} >= {"geopack.js", "viewbuttons.js"}
    for script in scripts:
        result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"


@pytest.mark.skipif(not (NODE_MODULES / ".bin" / "eslint").exists(),
                    reason="eslint not installed: run scripts/install_assets (npm ci installs the devDependencies)")
def test_own_scripts_pass_eslint() -> None:
    result = subprocess.run([str(NODE_MODULES / ".bin" / "eslint"), "--max-warnings", "0", str(OWN_JS_DIR)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_own_scripts_load_beside_the_vendor_files_or_inline_without_a_base_url() -> None:
    assert own_js_base("/app/static/vendor") == "/app/static/js" == OWN_JS_URL
    assert own_js_base("map_files/vendor/") == "map_files/js" and own_js_base(None) is None
    served, inline = folium.Map(tiles=None), folium.Map(tiles=None)
    add_own_script(served, "viewbuttons.js", "/app/static/js")
    add_own_script(served, "viewbuttons.js", "/app/static/js")
    add_own_script(inline, "viewbuttons.js")

    served_html, inline_html = served.get_root().render(), inline.get_root().render()

    assert served_html.count('<script src="/app/static/js/viewbuttons.js"></script>') == 1
    assert "L.GeoViewButtons = " not in served_html and "L.GeoViewButtons = " in inline_html


@needs_node_modules
def test_standalone_html_inlines_our_scripts_served_by_url(installed_root: Path) -> None:
    m = folium.Map(tiles=None)
    add_own_script(m, "geopack.js", OWN_JS_URL)

    html = standalone_html(m, root=installed_root)

    assert "/app/static/js/" not in html and "L.GeoPack = L.Layer.extend" in html
