"""geo.map.assets: folium's front-end files served from this machine instead of public CDNs."""

from __future__ import annotations

import json
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
    BUNDLE_DIR,
    CLUSTER_CDN,
    CSS_ASSETS,
    DROPPED_CSS,
    JS_ASSETS,
    LICENSES,
    OWN_JS_DIR,
    OWN_JS_URL,
    PROJECT_ROOT,
    VENDOR_DIR,
    add_own_script,
    bundle_scripts,
    install,
    missing,
    own_js_base,
    own_scripts,
    standalone_html,
    unbundle_scripts,
    use_cluster_cdn,
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


def test_local_assets_replace_folium_defaults_by_name_except_the_dropped_css_then_add_the_cluster_files() -> None:
    cluster_js, cluster_css = ["markercluster", "featuregroup_subgroup"], ["markercluster_css"]
    assert [asset.name for asset in JS_ASSETS] == [name for name, _ in _default_js] + cluster_js
    kept_css = [name for name, _ in _default_css if name not in DROPPED_CSS]
    assert [asset.name for asset in CSS_ASSETS] == kept_css + cluster_css


def test_the_cluster_files_are_vendored_with_their_licences_at_the_versions_package_json_pins() -> None:
    pinned = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    files = vendored_files()
    for package in ("leaflet.markercluster", "leaflet.featuregroup.subgroup"):
        assert f"{package}/{LICENSES[package]}" in files
        assert f"@{pinned[package]}/" in " ".join(url for url in CLUSTER_CDN.values() if package + "@" in url)
    assert "leaflet.markercluster/dist/leaflet.markercluster.js" in files
    assert "leaflet.featuregroup.subgroup/dist/leaflet.featuregroup.subgroup.js" in files


def test_a_map_without_local_assets_loads_the_cluster_files_after_leaflet_and_folium_keeps_its_defaults() -> None:
    before = list(folium.Map.default_js)
    m = folium.Map(tiles=None)
    use_cluster_cdn(m)
    names = [name for name, _ in m.default_js]
    assert names.index("leaflet") < names.index("markercluster") < names.index("featuregroup_subgroup")
    assert folium.Map.default_js == before and "markercluster" not in [n for n, _ in folium.Map().default_js]


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


def test_the_page_legend_loads_the_pins_icon_font_from_the_vendored_copy():
    from geo.map.assets import STREAMLIT_BASE_URL, icon_font_link

    link = icon_font_link()
    href = link.split('href="')[1].split('"')[0]
    assert link.startswith('<link rel="stylesheet"') and href.startswith(STREAMLIT_BASE_URL + "/")
    assert (PROJECT_ROOT / "static" / "vendor" / href.removeprefix(STREAMLIT_BASE_URL + "/")).is_file()


# --- The live map's one script: Leaflet, its plugins and our scripts, in order ----------------------------

def served_map(*scripts: str) -> folium.Map:
    """A map loading the vendored files and `scripts` (ours) by URL, as the dashboard's base map does."""
    m = folium.Map(tiles=None)
    use_local_assets(m, "/app/static/vendor")
    for name in scripts:
        add_own_script(m, name, OWN_JS_URL)
    return m


def script_links(m: folium.Map) -> list[str]:
    """The scripts `m` names, in order, as its page loads them (rendering adds them to the page's header for
    good, so render a map once)."""
    return re.findall(r'<script src="([^"]+)"></script>', m.get_root().render())


@needs_node_modules
def test_a_served_map_loads_its_libraries_and_our_scripts_as_one_file_in_their_order(installed_root: Path) -> None:
    separate = script_links(served_map("geopack.js", "viewbuttons.js"))
    m = served_map("geopack.js", "viewbuttons.js")

    assert bundle_scripts(m, "/app/static/vendor", root=installed_root)

    [bundle] = script_links(m)
    assert bundle.startswith("/app/static/vendor/bundle/map-") and len(separate) == 6
    code = (installed_root / BUNDLE_DIR / bundle.rsplit("/", 1)[1]).read_text(encoding="utf-8")
    parts = [(installed_root / VENDOR_DIR / url.removeprefix("/app/static/vendor/")) if "/vendor/" in url
             else PROJECT_ROOT / OWN_JS_DIR / url.rsplit("/", 1)[1] for url in separate]
    marks = ["Leaflet 1.9.3", "jQuery v3.7.1", "Leaflet.markercluster", "Leaflet.FeatureGroup.SubGroup",
             "L.GeoPack = L.Layer.extend", "L.GeoViewButtons = "]
    assert [code.index(mark) for mark in marks] == sorted(code.index(mark) for mark in marks)
    assert all(part.is_file() for part in parts) and "sourceMappingURL" not in code
    assert subprocess.run(["node", "--check", "-"], input=code, text=True, capture_output=True).returncode == 0


@needs_node_modules
def test_the_bundle_is_named_by_its_content_and_written_again_when_removed(installed_root: Path) -> None:
    def bundle_of(*scripts: str) -> str:
        m = served_map(*scripts)
        bundle_scripts(m, "/app/static/vendor", root=installed_root)
        return script_links(m)[0].rsplit("/", 1)[1]

    name = bundle_of("geopack.js")
    assert bundle_of("geopack.js") == name != bundle_of("geopack.js", "viewbuttons.js")
    (installed_root / BUNDLE_DIR / name).unlink()
    assert bundle_of("geopack.js") == name and (installed_root / BUNDLE_DIR / name).is_file()


@needs_node_modules
def test_a_map_with_a_script_from_elsewhere_is_left_as_it_was(installed_root: Path) -> None:
    def maps() -> tuple[folium.Map, folium.Map]:
        local = served_map("geopack.js")
        add_own_script(local, "not-ours.js", OWN_JS_URL)  # no such file
        return folium.Map(tiles=None), local  # folium's defaults: CDN URLs

    before = [script_links(m) for m in maps()]
    cdn, local = maps()

    assert not bundle_scripts(cdn, "/app/static/vendor", root=installed_root)
    assert not bundle_scripts(local, "/app/static/vendor", root=installed_root)
    assert [script_links(cdn), script_links(local)] == before


@needs_node_modules
def test_unbundling_or_exporting_a_bundled_map_gives_back_each_script(installed_root: Path) -> None:
    separate = script_links(served_map("geopack.js"))
    twice, back, exported = served_map("geopack.js"), served_map("geopack.js"), served_map("geopack.js")
    for m in (twice, twice, back, back, exported):  # twice: one bundle of the scripts, not of the first bundle
        bundle_scripts(m, "/app/static/vendor", root=installed_root)

    assert len(script_links(twice)) == 1
    unbundle_scripts(back)
    assert script_links(back) == separate
    html = standalone_html(exported, root=installed_root)
    assert not re.findall(r'<script[^>]+src="', html) and html.count("Leaflet 1.9.3") == 1
    assert "L.GeoPack = L.Layer.extend" in html
