"""Folium's front-end files served from this machine, so maps render where public CDNs are unreachable.

folium 0.20's ``Map`` loads Leaflet, jQuery, Bootstrap, Leaflet.awesome-markers and Font Awesome from
CDNs; when they fail the map is blank. ``package.json``/``package-lock.json`` pin the same versions on
npm, ``npm ci`` verifies each tarball against the lock's sha512 integrity, and ``install`` copies the
files a map needs into ``static/vendor/<package>/<path>`` (each package's own layout, so relative
``url(...)`` references in the CSS keep working) with a sha256 manifest.

Two entries of folium's default CSS are dropped, not vendored: ``glyphicons_css`` (Bootstrap 3 icon
font; folium 0.20's awesome-markers use Font Awesome 6) and ``awesome_rotate_css`` (folium loads it
from its GitHub repository; the wheel does not ship it, and it only rotates awesome-marker icons, which
we never rotate).

    python -m geo.map.assets install   # node_modules -> static/vendor (after npm ci)
    python -m geo.map.assets check     # exit 1 listing files absent or modified
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import folium
from branca.element import Element
from folium.elements import JSCSSMixin

from geo.io.atomic import write_bytes_atomically
from geo.map.folium_parts import ScriptMacro, walk
from geo.paths import PROJECT_ROOT

VENDOR_DIR = Path("static") / "vendor"
MANIFEST_NAME = "manifest.json"
STATIC_URL = "/app/static"  # where Streamlit serves ./static (enableStaticServing)
STREAMLIT_BASE_URL = f"{STATIC_URL}/vendor"
OWN_JS_DIR = Path("static") / "js"
"""Our own front-end scripts (tracked in git, not installed): served at OWN_JS_URL, inlined in exports."""
OWN_JS_URL = f"{STATIC_URL}/js"
BUNDLE_DIR = VENDOR_DIR / "bundle"
"""Where the live map's one script (bundle_scripts) is written, named by its content; rebuilt when absent."""
BUNDLE_NAME = "geo_map_bundle"


@dataclass(frozen=True)
class Asset:
    """One entry of folium's ``Map.default_js``/``default_css`` and the npm file that replaces it.

    ``extras`` are files the main file loads by relative URL (fonts, images) and must sit beside it.
    """

    name: str
    package: str
    path: str
    extras: tuple[str, ...] = ()

    def files(self) -> tuple[str, ...]:
        return (self.path, *self.extras)


_LEAFLET_IMAGES = tuple(
    f"dist/images/{name}"
    for name in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
)
_AWESOME_MARKER_IMAGES = tuple(
    f"dist/images/markers-{name}.png"
    for name in ("matte", "matte@2x", "plain", "shadow", "shadow@2x", "soft", "soft@2x")
)
_FONT_AWESOME_WEBFONTS = tuple(
    f"webfonts/fa-{name}.{ext}"
    for name in ("brands-400", "regular-400", "solid-900", "v4compatibility")
    for ext in ("woff2", "ttf")
)

# Same names and order as folium.folium._default_js / _default_css.
JS_ASSETS: tuple[Asset, ...] = (
    Asset("leaflet", "leaflet", "dist/leaflet.js", _LEAFLET_IMAGES),
    Asset("jquery", "jquery", "dist/jquery.min.js"),
    Asset("bootstrap", "bootstrap", "dist/js/bootstrap.bundle.min.js"),
    Asset("awesome_markers", "leaflet.awesome-markers", "dist/leaflet.awesome-markers.js"),
    # Not folium's: the event pins' clusters (static/js/geoclusters.js), after Leaflet, in this order.
    Asset("markercluster", "leaflet.markercluster", "dist/leaflet.markercluster.js"),
    Asset("featuregroup_subgroup", "leaflet.featuregroup.subgroup", "dist/leaflet.featuregroup.subgroup.js"),
)
CSS_ASSETS: tuple[Asset, ...] = (
    Asset("leaflet_css", "leaflet", "dist/leaflet.css", _LEAFLET_IMAGES),
    Asset("bootstrap_css", "bootstrap", "dist/css/bootstrap.min.css"),
    Asset(
        "awesome_markers_font_css", "@fortawesome/fontawesome-free", "css/all.min.css", _FONT_AWESOME_WEBFONTS
    ),
    Asset(
        "awesome_markers_css",
        "leaflet.awesome-markers",
        "dist/leaflet.awesome-markers.css",
        _AWESOME_MARKER_IMAGES,
    ),
    Asset("markercluster_css", "leaflet.markercluster", "dist/MarkerCluster.css"),
)
DROPPED_CSS = ("glyphicons_css", "awesome_rotate_css")
# folium loads these scripts by default, but our maps never call them (DivIcon pins, no folium.Icon, no
# Bootstrap widgets): not loading them saves two sequential requests (~0.1 s) per map frame. Their CSS stays.
UNUSED_JS = ("bootstrap", "awesome_markers")

# Shipped with the copies so an exported map folder carries its licences.
LICENSES = {
    "leaflet": "LICENSE",
    "jquery": "LICENSE.txt",
    "bootstrap": "LICENSE",
    "leaflet.awesome-markers": "LICENSE",
    "@fortawesome/fontawesome-free": "LICENSE.txt",
    "leaflet.markercluster": "MIT-LICENCE.txt",
    "leaflet.featuregroup.subgroup": "LICENSE",
}
CLUSTER_CDN = {
    "markercluster": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js",
    "featuregroup_subgroup":
        "https://cdn.jsdelivr.net/npm/leaflet.featuregroup.subgroup@1.0.2/dist/leaflet.featuregroup.subgroup.js",
    "markercluster_css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.css",
}
"""Where a map with no local assets (folium's CDN defaults) loads the cluster files: the versions
package.json pins."""


def icon_font_link(base_url: str = STREAMLIT_BASE_URL) -> str:
    """A <link> loading the pins' icon font (Font Awesome, vendored) into a page outside the map, such as the
    dashboard's legend under the map."""
    font = next(asset for asset in CSS_ASSETS if asset.name == "awesome_markers_font_css")
    return f'<link rel="stylesheet" href="{base_url.rstrip("/")}/{font.package}/{font.path}">'


def vendored_files() -> list[str]:
    """Every file ``install`` copies, as ``<package>/<path>`` relative to ``static/vendor``."""
    files = {f"{package}/{name}" for package, name in LICENSES.items()}
    for asset in JS_ASSETS + CSS_ASSETS:
        files.update(f"{asset.package}/{path}" for path in asset.files())
    return sorted(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _package_version(node_modules: Path, package: str) -> str:
    return json.loads((node_modules / package / "package.json").read_text(encoding="utf-8"))["version"]


def install(root: Path = PROJECT_ROOT) -> None:
    """Replace ``static/vendor`` with fresh copies from ``node_modules`` (run ``npm ci`` first)."""
    node_modules = root / "node_modules"
    vendor = root / VENDOR_DIR
    absent = [name for name in vendored_files() if not (node_modules / name).is_file()]
    if absent:
        raise FileNotFoundError(f"not in {node_modules} (run `npm ci` first): {', '.join(absent)}")
    if vendor.exists():
        shutil.rmtree(vendor)
    hashes = {}
    for name in vendored_files():
        target = vendor / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / name, target)
        hashes[name] = _sha256(target)
    manifest = {
        "packages": {package: _package_version(node_modules, package) for package in sorted(LICENSES)},
        "files": hashes,
    }
    (vendor / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def problems(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Each vendored file that is absent or modified, mapped to the reason."""
    vendor = root / VENDOR_DIR
    node_modules = root / "node_modules"
    manifest_path = vendor / MANIFEST_NAME
    if manifest_path.is_file():
        recorded = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {})
    else:
        recorded = {}
    found = {} if recorded else {str(VENDOR_DIR / MANIFEST_NAME): "absent"}
    for name in vendored_files():
        copy = vendor / name
        source = node_modules / name
        key = str(VENDOR_DIR / name)
        if not copy.is_file():
            found[key] = "absent"
            continue
        digest = _sha256(copy)
        if recorded and recorded.get(name) != digest:
            found[key] = "differs from manifest.json"
        elif source.is_file() and _sha256(source) != digest:
            found[key] = "differs from node_modules"
    return found


def missing(root: Path = PROJECT_ROOT) -> list[str]:
    """Vendored files (paths relative to ``root``) that are absent or whose sha256 does not match."""
    return sorted(problems(root))


class DefaultIconPath(ScriptMacro):
    """Point Leaflet's default marker images at our copy (streamlit-folium#275 shows broken pins)."""

    NAME = "DefaultIconPath"
    SCRIPT = """
            L.Icon.Default.imagePath = {{ this.image_path|tojson }};
        """

    def __init__(self, image_path: str) -> None:
        super().__init__()
        self.image_path = image_path


def use_local_assets(m: folium.Map, base_url: str = STREAMLIT_BASE_URL) -> None:
    """Make this map (only this instance) load folium's front-end files from ``base_url``.

    Call it before adding markers. The event pins' cluster files (leaflet.markercluster and
    leaflet.featuregroup.subgroup) are among them; other plugins with their own assets still name
    their CDN URLs.
    """
    base = base_url.rstrip("/")
    m.default_js = [(asset.name, f"{base}/{asset.package}/{asset.path}") for asset in JS_ASSETS
                    if asset.name not in UNUSED_JS]
    m.default_css = [(asset.name, f"{base}/{asset.package}/{asset.path}") for asset in CSS_ASSETS]
    m.add_child(DefaultIconPath(f"{base}/leaflet/dist/images/"), name="default_icon_path")


def use_cluster_cdn(m: folium.Map) -> None:
    """Make a map that loads folium's defaults from CDNs load the cluster files from CDNs too (CLUSTER_CDN)."""
    names = {asset.name for asset in JS_ASSETS}
    js, css = list(m.default_js), list(m.default_css)  # folium's lists are class attributes: never mutate them
    for name, url in CLUSTER_CDN.items():
        target = js if name in names else css
        if all(entry[0] != name for entry in target):
            target.append((name, url))
    m.default_js, m.default_css = js, css


def own_js_base(asset_base_url: str | None) -> str | None:
    """Where a map whose vendor files load from ``asset_base_url`` loads our own scripts: the ``js``
    folder beside ``vendor`` (``/app/static/js`` in the dashboard), or None (inline) without a base URL."""
    if asset_base_url is None:
        return None
    base = asset_base_url.rstrip("/")
    return base[: -len("/vendor")] + "/js" if base.endswith("/vendor") else OWN_JS_URL


class OwnScript(JSCSSMixin, ScriptMacro):
    """One of our scripts in static/js: a ``<script src>`` under ``base_url`` (streamlit-folium loads it
    before the map script), or with no ``base_url`` its content inline in the map script, so the page
    needs no server (the code is guarded against running twice)."""

    NAME = "OwnScript"
    SCRIPT = "{{ this.code }}"

    def __init__(self, name: str, base_url: str | None = None, root: Path = PROJECT_ROOT) -> None:
        super().__init__()
        if base_url is None:
            self.code = (root / OWN_JS_DIR / name).read_text(encoding="utf-8").replace("</script", "<\\/script")
            self.default_js = []
        else:
            self.code = ""
            self.default_js = [(f"geo_js_{name}", f"{base_url.rstrip('/')}/{name}")]


def add_own_script(m: folium.Map, name: str, base_url: str | None = None) -> None:
    """Load static/js/``name`` on map ``m`` (once, however often this is called); see OwnScript."""
    m.add_child(OwnScript(name, base_url), name=f"geo_js_{name.replace('.', '_')}")


def own_scripts() -> list[Path]:
    """Every one of our scripts (``static/js/*.js``)."""
    return sorted((PROJECT_ROOT / OWN_JS_DIR).glob("*.js"))


def _bundle_source(url: str, vendor_url: str, own_url: str, root: Path) -> Path | None:
    """The file that `url` names: a vendored file under `root`, or one of our scripts (which ship with this
    code, as in standalone_html); None for any other URL or an absent file."""
    for prefix, folder in ((vendor_url + "/", root / VENDOR_DIR), (own_url + "/", PROJECT_ROOT / OWN_JS_DIR)):
        if url.startswith(prefix):
            path = folder / url[len(prefix):]
            return path if path.is_file() and folder.resolve() in path.resolve().parents else None
    return None


_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


@functools.lru_cache(maxsize=8)
def _bundle_name(sources: tuple[tuple[str, int, int], ...], root: Path) -> str:
    parts = []
    for path, _mtime_ns, _size in sources:
        code = _SOURCE_MAP.sub("", Path(path).read_text(encoding="utf-8"))  # no .map files are served
        parts.append(f"/* {Path(path).parent.name}/{Path(path).name} */\n{code}")
    data = "\n;\n".join(parts).encode("utf-8")
    name = f"map-{hashlib.sha256(data).hexdigest()[:16]}.js"
    if not (root / BUNDLE_DIR / name).is_file():
        (root / BUNDLE_DIR).mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(root / BUNDLE_DIR / name, data)
    return name


def bundle_scripts(m: folium.Map, vendor_url: str = STREAMLIT_BASE_URL, root: Path = PROJECT_ROOT) -> bool:
    """Make `m` load the scripts it and its elements name (Leaflet, its plugins, our static/js) as ONE file,
    in the same order. streamlit-folium loads a map's scripts one after another, and each costs a round trip
    (about 45 ms on a kept-alive connection here); one file costs one.

    The file is written under ``static/vendor/bundle`` (``vendor_url``/bundle), named by its content. Only
    files this app serves from ``vendor_url`` and the ``js`` folder beside it are bundled: when any script is
    another (a CDN URL) or absent, nothing changes and the answer is False. Call it after the elements whose
    scripts it should carry are added; ``unbundle_scripts`` undoes it."""
    unbundle_scripts(m)  # bundled twice: the second bundle is made from the scripts, not from the first bundle
    vendor_url = vendor_url.rstrip("/")
    own_url = own_js_base(vendor_url) or OWN_JS_URL
    declaring = [element for element in walk(m) if isinstance(element, JSCSSMixin) and element.default_js]
    urls = list(dict.fromkeys(url for element in declaring for _, url in element.default_js))  # as st_folium does
    files = [_bundle_source(url, vendor_url, own_url, root) for url in urls]
    if not files or None in files:
        return False
    stats = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    name = _bundle_name(stats, root)
    if not (root / BUNDLE_DIR / name).is_file():  # removed since (a new install): written again
        _bundle_name.cache_clear()
        name = _bundle_name(stats, root)
    unbundled: list[tuple[Element, list[tuple[str, str]]]] = [(element, element.default_js) for element in declaring]
    for element in declaring:
        element.default_js = []
    m.default_js = [(BUNDLE_NAME, f"{vendor_url}/{BUNDLE_DIR.relative_to(VENDOR_DIR).as_posix()}/{name}")]
    m.geo_unbundled_js = unbundled
    return True


def unbundle_scripts(m: folium.Map) -> None:
    """Give `m` and its elements back the scripts they named before ``bundle_scripts`` (no-op otherwise)."""
    for element, entries in getattr(m, "geo_unbundled_js", None) or ():
        element.default_js = entries
    m.geo_unbundled_js = None


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.map.assets", description="Vendored front-end files.")
    parser.add_argument("command", choices=["install", "check"])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project root (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "install":
        install(args.root)
        print(f"installed {len(vendored_files())} files into {args.root / VENDOR_DIR}")
        return 0
    found = problems(args.root)
    for path, reason in sorted(found.items()):
        print(f"{path}: {reason}")
    if found:
        print("run scripts/install_assets to restore them", file=sys.stderr)
        return 1
    print(f"all {len(vendored_files())} vendored files present and unmodified")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


INLINE_PREFIX = "geo-inline-assets"
_MIME = {".woff2": "font/woff2", ".png": "image/png", ".woff": "font/woff"}


def _inline_css(css: str, css_path: Path) -> str:
    """CSS with its url(...) files embedded as data: URIs; TrueType fallbacks (every browser that
    runs Leaflet 1.9 reads woff2) are dropped to keep the file small."""
    css = re.sub(r',\s*url\([^)]*\.ttf\)\s*format\("truetype"\)', "", css)

    def embed(match: re.Match[str]) -> str:
        ref = match.group(1).strip("'\"")
        target = (css_path.parent / ref).resolve()
        if ref.startswith("data:") or target.suffix not in _MIME or not target.is_file():
            return match.group(0)
        return f"url(data:{_MIME[target.suffix]};base64,{base64.b64encode(target.read_bytes()).decode()})"

    return re.sub(r"url\(([^)]+)\)", embed, css)


def standalone_html(m: folium.Map, root: Path = PROJECT_ROOT) -> str:
    """The map as ONE self-contained HTML file: its libraries, styles, fonts and our own scripts
    (static/js) embedded, so it opens from disk with no network. Raises FileNotFoundError when
    static/vendor is incomplete."""
    broken = missing(root)
    if broken:
        raise FileNotFoundError(f"run scripts/install_assets; missing or modified: {', '.join(broken)}")
    unbundle_scripts(m)
    use_local_assets(m, INLINE_PREFIX)
    html = m.get_root().render()
    vendor = root / VENDOR_DIR

    def script(match: re.Match[str]) -> str:
        code = (vendor / match.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match[str]) -> str:
        path = vendor / match.group(1)
        return f"<style>{_inline_css(path.read_text(encoding='utf-8'), path)}</style>"

    def own(match: re.Match[str]) -> str:
        # Our scripts ship with this code (in git), not with an installed root's vendor copies.
        code = (PROJECT_ROOT / OWN_JS_DIR / match.group(1)).read_text(encoding="utf-8")
        code = code.replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    html = re.sub(rf'<script src="{INLINE_PREFIX}/([^"]+)"></script>', script, html)
    html = re.sub(rf'<script src="{re.escape(OWN_JS_URL)}/([A-Za-z0-9_.-]+\.js)"></script>', own, html)
    return re.sub(rf'<link rel="stylesheet" href="{INLINE_PREFIX}/([^"]+)"\s*/>', style, html)
