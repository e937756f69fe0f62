/*
 * L.GeoPack: every located event of a dataset version, drawn from one binary pack (geo/map/pack.py
 * documents the layout; readPack below is its only JavaScript reader).
 *
 * The pack is fetched (or decoded from base64, in an exported map) once. What is shown is the union of
 * the bit masks that mask groups (geo.map.canvas.mask_group) hand over while they are on the map, so a
 * filter change sends a few bytes per thousand events instead of the points. Points are drawn with
 * WebGL 2 (instanced quads: a translucent disc of the documented radius for city/region precision, a
 * pin for exact points, pins on top); without WebGL the same is drawn on a 2D canvas. Route lines are
 * 2D canvas polylines under the points, styled by route status.
 *
 * Clusters: points closer than one cell of `clusterPx` screen pixels (cells fixed in world pixels per zoom,
 * so a pan does not regroup them) are drawn as one numbered circle, like Leaflet.markercluster's; a point
 * alone in its cell is drawn as its pin (or disc). A click on a cluster zooms to its members, or, at the
 * map's last zoom or when they all share one point, lists them (up to `maxListed`), each selectable.
 *
 * Hover shows the event in plain words; a click opens a short popup and hands streamlit-folium a tooltip
 * whose text ends in "[#<row>]" (hidden from view), which Python maps back to the event id
 * (geo.map.popups.feature_id_from_tooltip). Dataset text only ever reaches the page through textContent or
 * escapeHtml.
 *
 * WebGL is used unless the browser only has a software rasterizer (SwiftShader on a machine without a
 * GPU, headless Chromium): there the 2D canvas is far faster (measured: a mask over 100,000 points
 * takes ~2.6 s with SwiftShader WebGL, ~50 ms on the 2D canvas).
 *
 * Debug properties for tests: renderer ('webgl' | 'canvas'), rendererInfo (the WebGL renderer's name),
 * drawnCount (rows shown), ready (a Promise resolved once the pack is loaded), screenPoint(row),
 * clusters (the clusters of the last drawing: {count, x, y} in container pixels) and singles (rows drawn
 * alone).
 */
(function () {
    'use strict';
    if (L.GeoPack) { return; }  // loaded twice (inlined in more than one layer script): keep the first

    var MAGIC = 'GEOPACK\0', FORMAT_VERSION = 1, NO_STATUS = 255, NO_DAY = -2147483648;
    var EARTH_CIRCUMFERENCE = 40075016.686, PIN_RADIUS = 5, PICK_PX = 7;
    // Above these counts (in view) the 2D canvas is drawn pixel by pixel (see "Dense drawing"): Chromium's
    // software rasterizer takes ~9 s for a path of 900,000 arcs and ~8 s for 50,000 dashed lines.
    var DENSE_POINTS_ABOVE = 20000, DENSE_LINES_ABOVE = 2000, DENSE_CELL_PX = 2;
    // Cluster circles as Leaflet.markercluster draws them (small, medium, large: outer ring, inner disc).
    var CLUSTER_STYLES = [[10, 'rgba(181, 226, 140, 0.6)', 'rgba(110, 204, 57, 0.6)'],
                          [100, 'rgba(241, 211, 87, 0.6)', 'rgba(240, 194, 12, 0.6)'],
                          [Infinity, 'rgba(253, 156, 115, 0.6)', 'rgba(241, 128, 23, 0.6)']];
    var CLUSTER_RADIUS = 20, CLUSTER_INNER = 15;

    function readPack(buffer) {
        var view = new DataView(buffer), magic = '';
        for (var i = 0; i < 8; i++) { magic += String.fromCharCode(view.getUint8(i)); }
        if (magic !== MAGIC) { throw new Error('GeoPack: not a pack'); }
        var version = view.getUint32(8, true);
        if (version !== FORMAT_VERSION) { throw new Error('GeoPack: format ' + version + ', expected ' + FORMAT_VERSION); }
        var n = view.getUint32(12, true), m = view.getUint32(16, true), v = view.getUint32(20, true), at = 32;
        function take(Type, count) {
            var array = new Type(buffer, at, count);
            at += count * Type.BYTES_PER_ELEMENT;
            return array;
        }
        var pack = {n: n, m: m, lonlat: take(Float32Array, 2 * n), type: take(Uint8Array, n),
                    layer: take(Uint8Array, n), precision: take(Uint8Array, n), status: take(Uint8Array, n)};
        pack.start = take(Int32Array, n);
        pack.end = take(Int32Array, n);
        pack.lineRows = take(Uint32Array, m);
        pack.lineOffsets = take(Uint32Array, m + 1);
        pack.vertices = take(Float32Array, 2 * v);
        if (at !== buffer.byteLength) { throw new Error('GeoPack: ' + (buffer.byteLength - at) + ' trailing bytes'); }
        return pack;
    }

    function decodeBase64(text) {
        var binary = atob(text), bytes = new Uint8Array(binary.length);
        for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
        return bytes;
    }

    function escapeHtml(text) {
        return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
            .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    }

    function isoDay(day) {
        return new Date(day * 86400000).toISOString().slice(0, 10);
    }

    /** A count as a cluster circle shows it: 1234, 12k. */
    function shortCount(count) {
        return count < 10000 ? String(count) : Math.round(count / 1000) + 'k';
    }

    function plural(count, one, many) {
        return count.toLocaleString('en') + ' ' + (count === 1 ? one : many);
    }

    function mercX(lon) { return lon / 360 + 0.5; }
    function mercY(lat) {
        var clamped = Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI / 180;
        return 0.5 - Math.log(Math.tan(Math.PI / 4 + clamped / 2)) / (2 * Math.PI);
    }

    function hexColour(hex) {
        var value = parseInt(hex.slice(1), 16);
        return [(value >> 16 & 255) / 255, (value >> 8 & 255) / 255, (value & 255) / 255];
    }

    var VERTEX_SHADER = [
        '#version 300 es',
        'in vec2 a_corner; in vec2 a_pos; in float a_type; in float a_precision; in float a_visible;',
        'uniform vec2 u_shift; uniform float u_scale; uniform vec2 u_size; uniform float u_centreY;',
        'uniform float u_pass; uniform vec3 u_colours[32]; uniform float u_radii[8];',
        'out vec2 v_local; out float v_radius; out vec3 v_colour;',
        'void main() {',
        '    float metres = u_radii[int(a_precision)];',
        '    bool disc = metres > 0.0;',
        '    if (a_visible < 0.5 || disc != (u_pass < 0.5)) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }',
        '    vec2 centre = (a_pos + u_shift) * u_scale;',
        '    float radius = ' + PIN_RADIUS + '.0;',
        '    if (disc) {',
        '        float metresPerPixel = ' + EARTH_CIRCUMFERENCE + ' / (cosh(3.14159265 * (1.0 - 2.0 * (a_pos.y + u_centreY))) * u_scale);',
        '        radius = max(3.0, metres / metresPerPixel);',
        '    }',
        '    float half_size = radius + 1.5;',
        '    vec2 at = centre + a_corner * half_size;',
        '    gl_Position = vec4(at.x / u_size.x * 2.0 - 1.0, 1.0 - at.y / u_size.y * 2.0, 0.0, 1.0);',
        '    v_local = a_corner * half_size; v_radius = radius; v_colour = u_colours[int(a_type)];',
        '}'
    ].join('\n');

    var FRAGMENT_SHADER = [
        '#version 300 es',
        'precision highp float;',
        'in vec2 v_local; in float v_radius; in vec3 v_colour; uniform float u_pass; out vec4 colour;',
        'void main() {',
        '    float d = length(v_local);',
        '    if (d > v_radius + 0.5) { discard; }',
        '    if (u_pass < 0.5) {',  // disc: translucent fill, stronger rim
        '        float alpha = d > v_radius - 1.0 ? 0.6 : 0.25;',
        '        colour = vec4(v_colour * alpha, alpha);',
        '    } else {',  // pin: the type colour with a white rim
        '        colour = vec4(d > v_radius - 1.0 ? vec3(1.0) : v_colour, 1.0);',
        '    }',
        '}'
    ].join('\n');


    // --- Dense drawing: many events, drawn into a pixel buffer --------------------------------------
    // Pins and discs are stamped in drawing order, one per cell (the last row drawn in a cell is the one on
    // top; the others would be hidden under it or look the same): pins in cells of DENSE_CELL_PX, discs in
    // cells of half their radius. Route lines are drawn as spans along
    // their segments, solid (no dash pattern) in their status colour and opacity.

    function rgb(hex) {
        var value = parseInt(hex.slice(1), 16);
        return [value >> 16 & 255, value >> 8 & 255, value & 255];
    }

    /** "Source over" of colour (r, g, b) at alpha a (0..255) onto pixel i of px (RGBA, not premultiplied). */
    function blend(px, i, r, g, b, a) {
        var d = px[i], da = d >>> 24;
        if (a >= 255 || da === 0) { px[i] = (a << 24 | b << 16 | g << 8 | r) >>> 0; return; }
        var keep = da * (255 - a) / 255, oa = a + keep;
        px[i] = ((oa + 0.5 | 0) << 24 | ((b * a + (d >> 16 & 255) * keep) / oa + 0.5 | 0) << 16 |
                 ((g * a + (d >> 8 & 255) * keep) / oa + 0.5 | 0) << 8 | ((r * a + (d & 255) * keep) / oa + 0.5 | 0)) >>> 0;
    }

    function PixelBuffer(canvas) {
        this.canvas = canvas; this.w = canvas.width; this.h = canvas.height;
        this.image = canvas.getContext('2d').createImageData(this.w, this.h);
        this.px = new Uint32Array(this.image.data.buffer);
    }
    PixelBuffer.prototype.put = function () { this.canvas.getContext('2d').putImageData(this.image, 0, 0); };

    /** A pin of `colour` with a white rim, as the 2D canvas draws it, as a stamp of size x size pixels. */
    function pinStamp(colour, ratio) {
        var size = Math.ceil((PIN_RADIUS + 1) * 2 * ratio) + 2, canvas = document.createElement('canvas');
        canvas.width = canvas.height = size;
        var ctx = canvas.getContext('2d');
        ctx.arc(size / 2, size / 2, PIN_RADIUS * ratio, 0, 2 * Math.PI);
        ctx.fillStyle = colour; ctx.fill(); ctx.lineWidth = ratio; ctx.strokeStyle = '#ffffff'; ctx.stroke();
        return {size: size, px: new Uint32Array(ctx.getImageData(0, 0, size, size).data.buffer)};
    }

    function stamp(buffer, pin, cx, cy) {
        var half = pin.size >> 1, x0 = Math.round(cx) - half, y0 = Math.round(cy) - half, w = buffer.w, h = buffer.h;
        for (var sy = 0; sy < pin.size; sy++) {
            var y = y0 + sy;
            if (y < 0 || y >= h) { continue; }
            for (var sx = 0; sx < pin.size; sx++) {
                var x = x0 + sx, p = pin.px[sy * pin.size + sx], a = p >>> 24;
                if (a && x >= 0 && x < w) { blend(buffer.px, y * w + x, p & 255, p >> 8 & 255, p >> 16 & 255, a); }
            }
        }
    }

    /** A translucent disc (fill alpha 64, rim alpha 153: 0.25 and 0.6, as drawn elsewhere). */
    function disc(buffer, c, cx, cy, r) {
        var w = buffer.w, h = buffer.h, outer = r * r, inner = Math.max(0, r - 1) * Math.max(0, r - 1);
        var y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(h - 1, Math.ceil(cy + r));
        var x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(w - 1, Math.ceil(cx + r));
        for (var y = y0; y <= y1; y++) {
            var dy = y + 0.5 - cy, dy2 = dy * dy;
            for (var x = x0; x <= x1; x++) {
                var dx = x + 0.5 - cx, d2 = dx * dx + dy2;
                if (d2 <= outer) { blend(buffer.px, y * w + x, c[0], c[1], c[2], d2 > inner ? 153 : 64); }
            }
        }
    }

    var CLIPPED = new Float64Array(4);

    /** Clip the segment (x0, y0)-(x1, y1) to [lo, w-lo]x[lo, h-lo] into CLIPPED; false when nothing is
     * left (Liang-Barsky). */
    function clip(x0, y0, x1, y1, w, h, lo) {
        var t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0, ps = [-dx, dx, -dy, dy], qs = [x0 - lo, w - lo - x0, y0 - lo, h - lo - y0];
        for (var e = 0; e < 4; e++) {
            var p = ps[e], q = qs[e];
            if (p === 0) { if (q < 0) { return false; } continue; }
            var t = q / p;
            if (p < 0) { if (t > t1) { return false; } if (t > t0) { t0 = t; } } else { if (t < t0) { return false; } if (t < t1) { t1 = t; } }
        }
        CLIPPED[0] = x0 + t0 * dx; CLIPPED[1] = y0 + t0 * dy; CLIPPED[2] = x0 + t1 * dx; CLIPPED[3] = y0 + t1 * dy;
        return true;
    }

    /** A line of `width` pixels from (x0, y0) to (x1, y1), one span across it per step along it, into the
     * pixels not yet `painted` (a canvas path strokes its lines as one shape: overlaps do not add up). */
    function segment(buffer, painted, c, a, width, x0, y0, x1, y1) {
        var w = buffer.w, h = buffer.h;
        if (!clip(x0, y0, x1, y1, w, h, -width)) { return; }
        x0 = CLIPPED[0]; y0 = CLIPPED[1];
        var dx = CLIPPED[2] - x0, dy = CLIPPED[3] - y0, steps = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)));
        var across = Math.abs(dx) >= Math.abs(dy), from = -(width >> 1);
        for (var k = 0; k <= steps; k++) {
            var t = steps ? k / steps : 0, x = Math.round(x0 + dx * t), y = Math.round(y0 + dy * t);
            for (var o = from; o < from + width; o++) {
                var px = across ? x : x + o, py = across ? y + o : y, i = py * w + px;
                if (px >= 0 && py >= 0 && px < w && py < h && !painted[i]) {
                    painted[i] = 1;
                    blend(buffer.px, i, c[0], c[1], c[2], a);
                }
            }
        }
    }

    var SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;

    function rendererName(gl) {
        var info = gl.getExtension('WEBGL_debug_renderer_info');
        return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    }

    function compile(gl, type, source) {
        var shader = gl.createShader(type);
        gl.shaderSource(shader, source);
        gl.compileShader(shader);
        if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) { throw new Error(gl.getShaderInfoLog(shader)); }
        return shader;
    }

    L.GeoPack = L.Layer.extend({
        options: {
            version: '',
            types: [],      // [label, colour] per event type code
            radii: [],      // uncertainty radius (m) per location precision code; 0: a pin
            statuses: [],   // [label, colour, weight, opacity, dashArray] per route status code
            ids: null,      // event id per row, when the page carries them (exported maps)
            texts: null,    // [title, place, confidence] per row, when the page carries them (exported maps)
            note: '',       // a line under the popup's label
            clusterPx: 40,  // cluster cell size in screen pixels; 0 draws every point
            maxListed: 20,  // events a cluster's list names
            webgl: 'auto',  // 'auto' | 'always' | 'never' (see onAdd)
            pane: 'overlayPane'
        },

        /** source: {url: '/app/static/packs/<key>.bin'} or {base64: '...'} */
        initialize: function (source, options) {
            L.setOptions(this, options);
            this._source = source;
            this.drawnCount = 0;
            this.renderer = null;
            this.rendererInfo = null;
            this._pack = null;
            var layer = this;
            this.ready = new Promise(function (resolve, reject) { layer._resolve = resolve; layer._reject = reject; });
        },

        onAdd: function (map) {
            this._lines = L.DomUtil.create('canvas', 'geo-pack-lines leaflet-zoom-hide');
            this._points = L.DomUtil.create('canvas', 'geo-pack-points leaflet-zoom-hide');
            this._badges = L.DomUtil.create('canvas', 'geo-pack-clusters leaflet-zoom-hide');
            [this._lines, this._points, this._badges].forEach(function (canvas) {
                canvas.style.pointerEvents = 'none';
                canvas.style.position = 'absolute';
                canvas.setAttribute('aria-hidden', 'true');
                this.getPane().appendChild(canvas);
            }, this);
            // One accessible name for what the three canvases draw; none of them is a tab stop.
            this._badges.removeAttribute('aria-hidden');
            this._badges.setAttribute('role', 'img');
            this._gl = null;
            // 'auto': WebGL unless it is a software rasterizer (SwiftShader, llvmpipe: a machine without a
            // GPU), where the 2D canvas is far faster; 'always' / 'never' force one. window.geoPackWebGL,
            // when set, overrides the option (for comparing the two in one browser).
            var mode = window.geoPackWebGL || this.options.webgl;
            if (mode !== 'never') {
                try {
                    this._gl = this._initGl();
                    this.rendererInfo = rendererName(this._gl);
                    if (mode === 'auto' && SOFTWARE.test(this.rendererInfo)) {
                        this._gl = null;
                        throw new Error('software WebGL (' + this.rendererInfo + ') is slower than a 2D canvas');
                    }
                } catch (error) {
                    console.warn('GeoPack: drawing on a 2D canvas (' + error.message + ')');
                    // A canvas that was asked for a WebGL context never gives a 2D one: use a fresh canvas.
                    var fresh = L.DomUtil.create('canvas', 'geo-pack-points leaflet-zoom-hide');
                    fresh.style.pointerEvents = 'none';
                    fresh.style.position = 'absolute';
                    fresh.setAttribute('aria-hidden', 'true');
                    this._points.parentNode.replaceChild(fresh, this._points);
                    this._points = fresh;
                }
            }
            this.renderer = this._gl ? 'webgl' : 'canvas';
            map._geoPacks = (map._geoPacks || []).concat([this]);
            map.on('moveend zoomend resize viewreset', this._schedule, this);
            map.on('mousemove', this._hover, this);
            map.on('click', this._click, this);
            map.on('mouseout', this._unhover, this);
            if (!this._loading) { this._load(); }
            if (this._pack && this._gl) { this._upload(); }
            this.refresh();
        },

        onRemove: function (map) {
            map._geoPacks = (map._geoPacks || []).filter(function (layer) { return layer !== this; }, this);
            map.off('moveend zoomend resize viewreset', this._schedule, this);
            map.off('mousemove', this._hover, this);
            map.off('click', this._click, this);
            map.off('mouseout', this._unhover, this);
            this._unhover();
            L.DomUtil.remove(this._lines);
            L.DomUtil.remove(this._points);
            L.DomUtil.remove(this._badges);
            this._gl = null;
        },

        _load: function () {
            var layer = this, source = this._source;
            this._loading = (source.url
                ? fetch(source.url).then(function (response) {
                    if (!response.ok) { throw new Error('GeoPack: ' + source.url + ' answered ' + response.status); }
                    return response.arrayBuffer();
                })
                : Promise.resolve(decodeBase64(source.base64).buffer)
            ).then(function (buffer) {
                var pack = readPack(buffer), n = pack.n;
                // Web Mercator in world units (0..1), relative to the data's centre so float32 stays exact.
                var x = new Float64Array(n), y = new Float64Array(n), cx = 0, cy = 0;
                for (var i = 0; i < n; i++) {
                    x[i] = mercX(pack.lonlat[2 * i]); y[i] = mercY(pack.lonlat[2 * i + 1]);
                    cx += x[i]; cy += y[i];
                }
                pack.centre = n ? [cx / n, cy / n] : [0.5, 0.5];
                pack.rel = new Float32Array(2 * n);
                for (i = 0; i < n; i++) { pack.rel[2 * i] = x[i] - pack.centre[0]; pack.rel[2 * i + 1] = y[i] - pack.centre[1]; }
                pack.x = x; pack.y = y;
                pack.vx = new Float64Array(pack.vertices.length / 2);
                pack.vy = new Float64Array(pack.vertices.length / 2);
                for (i = 0; i < pack.vx.length; i++) {
                    pack.vx[i] = mercX(pack.vertices[2 * i]); pack.vy[i] = mercY(pack.vertices[2 * i + 1]);
                }
                pack.isLine = new Uint8Array(n);
                for (i = 0; i < pack.m; i++) { pack.isLine[pack.lineRows[i]] = 1; }
                layer._pack = pack;
                if (layer._gl) { layer._upload(); }
                layer.refresh();
                layer._resolve(layer);
            }).catch(function (error) {
                console.error(error.message || error);
                layer._reject(error);
            });
        },

        // --- What is shown: the union of the masks of the mask groups on the map ---------------------
        /** Refresh once at the next animation frame (a rerun removes the old mask group, then adds the new). */
        scheduleRefresh: function () {
            if (this._refreshFrame) { return; }
            this._refreshFrame = L.Util.requestAnimFrame(function () { this._refreshFrame = null; this.refresh(); }, this);
        },

        /** Recompute what the masks show and draw it now. */
        refresh: function () {
            if (this._refreshFrame) { L.Util.cancelAnimFrame(this._refreshFrame); this._refreshFrame = null; }
            var pack = this._pack, map = this._map;
            if (!pack || !map) { return; }
            var masks = [], registry = map._geoPackMasks || {};
            Object.keys(registry).forEach(function (owner) {
                var mask = registry[owner];
                if (mask.version !== this.options.version) {
                    console.warn('GeoPack: a mask for version ' + mask.version + ' ignored by pack ' + this.options.version);
                    return;
                }
                if (!mask.bytes) { mask.bytes = decodeBase64(mask.bits); }
                if (mask.statuses && !mask.statusBytes) { mask.statusBytes = decodeBase64(mask.statuses); }
                masks.push(mask);
            }, this);
            var n = pack.n;
            var points = new Uint32Array(n), lines = [], count = 0, shown = 0;
            var status = new Uint8Array(pack.m), k;
            for (k = 0; k < pack.m; k++) { status[k] = pack.status[pack.lineRows[k]]; }
            var bytes = new Uint8Array((n + 7) >> 3);
            masks.forEach(function (mask) {
                var size = Math.min(bytes.length, mask.bytes.length);
                for (var b = 0; b < size; b++) { bytes[b] |= mask.bytes[b]; }
                if (mask.statusBytes) {
                    for (var j = 0; j < pack.m; j++) {
                        var row = pack.lineRows[j];
                        if (mask.bytes[row >> 3] >> (row & 7) & 1) { status[j] = mask.statusBytes[j]; }
                    }
                }
            });
            for (var i = 0; i < n; i++) {
                if (bytes[i >> 3] >> (i & 7) & 1) {
                    shown++;
                    if (!pack.isLine[i]) { points[count++] = i; }
                }
            }
            for (k = 0; k < pack.m; k++) {
                var lineRow = pack.lineRows[k];
                if (bytes[lineRow >> 3] >> (lineRow & 7) & 1) { lines.push(k); }
            }
            this._shownPoints = points.subarray(0, count);
            this._shownLines = lines;
            this._lineStatus = status;
            this.drawnCount = shown;
            this._unhover();
            this.redraw();
        },

        _schedule: function () {
            if (this._frame) { return; }
            this._frame = L.Util.requestAnimFrame(function () { this._frame = null; this.redraw(); }, this);
        },

        /** Draw now (synchronously). */
        redraw: function () {
            var map = this._map;
            if (!map) { return; }
            var size = map.getSize(), ratio = window.devicePixelRatio || 1, topLeft = map.containerPointToLayerPoint([0, 0]);
            [this._lines, this._points, this._badges].forEach(function (canvas) {
                L.DomUtil.setPosition(canvas, topLeft);
                if (canvas.width !== Math.round(size.x * ratio) || canvas.height !== Math.round(size.y * ratio)) {
                    canvas.width = Math.round(size.x * ratio); canvas.height = Math.round(size.y * ratio);
                }
                canvas.style.width = size.x + 'px'; canvas.style.height = size.y + 'px';
            });
            this._view = this._viewState();
            this._cluster();
            this._drawLines(ratio);
            if (this._gl) { this._drawGl(ratio); } else { this._drawCanvas(ratio); }
            this._drawClusters(ratio);
            this._describe();
        },

        // --- Clusters --------------------------------------------------------------------------------
        /** Group the shown points in view by cells of clusterPx screen pixels: this.singles (rows alone in
         * their cell) and this._clusters ({cell, count, x, y: the members' mean in world units, same: all
         * at one point}). Cells are counted from the world's origin, so a pan keeps the groups. */
        _cluster: function () {
            var pack = this._pack, view = this._view, rows = this._shownPoints, size = this.options.clusterPx;
            this._clusters = [];
            if (!pack || !rows) { this.singles = new Uint32Array(0); return; }
            if (!size) { this.singles = rows; this._grid = null; return; }
            var scale = view.scale, ox = Math.floor(view.left * scale / size) - 1, oy = Math.floor(view.top * scale / size) - 1;
            var gw = Math.ceil(view.size.x / size) + 3, gh = Math.ceil(view.size.y / size) + 3, cells = gw * gh;
            var count = new Int32Array(cells), first = new Int32Array(cells), sx = new Float64Array(cells),
                sy = new Float64Array(cells), apart = new Uint8Array(cells), i, row, c;
            this._grid = {size: size, ox: ox, oy: oy, gw: gw, gh: gh, scale: scale};
            for (i = 0; i < rows.length; i++) {
                row = rows[i];
                var cx = Math.floor(pack.x[row] * scale / size) - ox, cy = Math.floor(pack.y[row] * scale / size) - oy;
                if (cx < 0 || cy < 0 || cx >= gw || cy >= gh) { continue; }
                c = cy * gw + cx;
                if (count[c]++ === 0) { first[c] = row; }
                else if (!apart[c] && (pack.lonlat[2 * row] !== pack.lonlat[2 * first[c]] ||
                                       pack.lonlat[2 * row + 1] !== pack.lonlat[2 * first[c] + 1])) { apart[c] = 1; }
                sx[c] += pack.x[row]; sy[c] += pack.y[row];
            }
            var singles = [];
            for (c = 0; c < cells; c++) {
                if (count[c] === 1) { singles.push(first[c]); }
                else if (count[c] > 1) {
                    this._clusters.push({cell: c, count: count[c], x: sx[c] / count[c], y: sy[c] / count[c], same: !apart[c]});
                }
            }
            this.singles = Uint32Array.from(singles.sort(function (a, b) { return a - b; }));  // pack order: draw order
        },

        /** The clusters of the last drawing: count and container point of each. */
        clusterList: function () {
            var view = this._view;
            return (this._clusters || []).map(function (c) {
                return {count: c.count, x: (c.x - view.left) * view.scale, y: (c.y - view.top) * view.scale, same: c.same};
            });
        },

        /** The shown rows in `cluster`, in pack order. */
        members: function (cluster) {
            var pack = this._pack, grid = this._grid, rows = this._shownPoints, out = [];
            for (var i = 0; i < rows.length; i++) {
                var row = rows[i], cx = Math.floor(pack.x[row] * grid.scale / grid.size) - grid.ox,
                    cy = Math.floor(pack.y[row] * grid.scale / grid.size) - grid.oy;
                if (cx >= 0 && cy >= 0 && cx < grid.gw && cy < grid.gh && cy * grid.gw + cx === cluster.cell) { out.push(row); }
            }
            return out;
        },

        _drawClusters: function (ratio) {
            var ctx = this._badges.getContext('2d'), view = this._view, clusters = this._clusters || [];
            ctx.setTransform(1, 0, 0, 1, 0, 0);
            ctx.clearRect(0, 0, this._badges.width, this._badges.height);
            if (!clusters.length) { return; }
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            ctx.font = '12px "Helvetica Neue", Arial, Helvetica, sans-serif';
            ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
            clusters.forEach(function (c) {
                var x = (c.x - view.left) * view.scale, y = (c.y - view.top) * view.scale, style = CLUSTER_STYLES[0];
                for (var k = 0; c.count >= CLUSTER_STYLES[k][0]; k++) { style = CLUSTER_STYLES[k + 1]; }
                ctx.beginPath(); ctx.arc(x, y, CLUSTER_RADIUS, 0, 2 * Math.PI); ctx.fillStyle = style[1]; ctx.fill();
                ctx.beginPath(); ctx.arc(x, y, CLUSTER_INNER, 0, 2 * Math.PI); ctx.fillStyle = style[2]; ctx.fill();
                ctx.fillStyle = '#000000'; ctx.fillText(shortCount(c.count), x, y);
            });
        },

        /** The canvases' accessible name: what is drawn, and where to find the events one by one. */
        _describe: function () {
            var clusters = this._clusters || [], grouped = 0;
            clusters.forEach(function (c) { grouped += c.count; });
            var text = plural(this.drawnCount, 'event', 'events') + ' drawn';
            if (clusters.length) {
                text += '; in view, ' + plural(grouped, 'event', 'events') + ' in ' +
                    plural(clusters.length, 'numbered circle', 'numbered circles') + ' (a click zooms in) and ' +
                    plural(this.singles.length, 'single pin', 'single pins');
            }
            text += '. The circles and pins drawn here cannot be reached by keyboard: the event list beside the map lists every event.';
            this._badges.setAttribute('aria-label', text);
        },

        _viewState: function () {
            var map = this._map, zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
            var origin = map.getPixelOrigin().add(map.containerPointToLayerPoint([0, 0]));
            return {scale: scale, left: origin.x / scale, top: origin.y / scale, size: map.getSize()};
        },

        /** The container pixel of pack row `row` in the last drawn view. */
        screenPoint: function (row) {
            var view = this._view || this._viewState(), pack = this._pack;
            return L.point((pack.x[row] - view.left) * view.scale, (pack.y[row] - view.top) * view.scale);
        },

        _radiusPx: function (row) {
            var metres = this.options.radii[this._pack.precision[row]] || 0;
            if (!metres) { return 0; }
            var lat = this._pack.lonlat[2 * row + 1] * Math.PI / 180;
            return Math.max(3, metres / (EARTH_CIRCUMFERENCE * Math.cos(lat) / this._view.scale));
        },

        _drawLines: function (ratio) {
            var ctx = this._lines.getContext('2d'), pack = this._pack, view = this._view;
            ctx.setTransform(1, 0, 0, 1, 0, 0);
            ctx.clearRect(0, 0, this._lines.width, this._lines.height);
            if (!pack || !this._shownLines) { return; }
            var byStatus = {}, dense = this._shownLines.length > DENSE_LINES_ABOVE;
            var buffer = dense ? new PixelBuffer(this._lines) : null;
            if (!dense) { ctx.setTransform(ratio, 0, 0, ratio, 0, 0); ctx.lineCap = 'round'; ctx.lineJoin = 'round'; }
            this._shownLines.forEach(function (k) { (byStatus[this._lineStatus[k]] = byStatus[this._lineStatus[k]] || []).push(k); }, this);
            // Closures first, so resumed routes are drawn on top of the closure band (as on the detailed map).
            var order = Object.keys(byStatus).sort(function (a, b) { return (b === '0') - (a === '0'); });
            order.forEach(function (code) {
                var statuses = this.options.statuses;  // a line with no status: drawn as 'unknown' (the last)
                var style = statuses[Number(code) === NO_STATUS ? statuses.length - 1 : code] || statuses[statuses.length - 1];
                if (dense) { this._denseLines(buffer, byStatus[code], style, ratio); return; }
                ctx.strokeStyle = style[1]; ctx.lineWidth = style[2]; ctx.globalAlpha = style[3];
                ctx.setLineDash(style[4] ? style[4].split(/[ ,]+/).map(Number) : []);
                ctx.beginPath();
                byStatus[code].forEach(function (k) {
                    var pen = false;
                    for (var j = pack.lineOffsets[k]; j < pack.lineOffsets[k + 1]; j++) {
                        if (isNaN(pack.vx[j])) { pen = false; continue; }
                        var px = (pack.vx[j] - view.left) * view.scale, py = (pack.vy[j] - view.top) * view.scale;
                        if (pen) { ctx.lineTo(px, py); } else { ctx.moveTo(px, py); pen = true; }
                    }
                });
                ctx.stroke();
            }, this);
            if (dense) { buffer.put(); } else { ctx.globalAlpha = 1; ctx.setLineDash([]); }
        },

        _denseLines: function (buffer, lines, style, ratio) {
            var pack = this._pack, view = this._view, c = rgb(style[1]), a = Math.round(style[3] * 255);
            var width = Math.max(1, Math.round(style[2] * ratio)), s = view.scale * ratio;
            var painted = new Uint8Array(buffer.w * buffer.h);  // per status: its lines are one shape
            lines.forEach(function (k) {
                var px = NaN, py = NaN;
                for (var j = pack.lineOffsets[k]; j < pack.lineOffsets[k + 1]; j++) {
                    if (isNaN(pack.vx[j])) { px = NaN; continue; }
                    var x = (pack.vx[j] - view.left) * s, y = (pack.vy[j] - view.top) * s;
                    if (!isNaN(px)) { segment(buffer, painted, c, a, width, px, py, x, y); }
                    px = x; py = y;
                }
            });
        },

        _drawCanvas: function (ratio) {
            var ctx = this._points.getContext('2d'), pack = this._pack, view = this._view;
            ctx.setTransform(1, 0, 0, 1, 0, 0);
            ctx.clearRect(0, 0, this._points.width, this._points.height);
            if (!pack || !this.singles) { return; }
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            var discs = {}, pins = {}, rows = this.singles, w = view.size.x, h = view.size.y, inView = 0;
            for (var i = 0; i < rows.length; i++) {
                var row = rows[i], r = this._radiusPx(row), x = (pack.x[row] - view.left) * view.scale,
                    y = (pack.y[row] - view.top) * view.scale, pad = r || PIN_RADIUS + 1;
                if (x < -pad || y < -pad || x > w + pad || y > h + pad) { continue; }
                var group = r ? discs : pins, type = pack.type[row];
                (group[type] = group[type] || []).push(x, y, r);
                inView++;
            }
            if (inView > DENSE_POINTS_ABOVE) { this._denseCanvas(ratio, rows); return; }
            ctx.lineWidth = 1;
            Object.keys(discs).forEach(function (type) {  // discs first, pins on top
                var colour = this.options.types[type][1], list = discs[type];
                ctx.beginPath();
                for (var j = 0; j < list.length; j += 3) {
                    ctx.moveTo(list[j] + list[j + 2], list[j + 1]); ctx.arc(list[j], list[j + 1], list[j + 2], 0, 2 * Math.PI);
                }
                ctx.globalAlpha = 0.25; ctx.fillStyle = colour; ctx.fill();
                ctx.globalAlpha = 0.6; ctx.strokeStyle = colour; ctx.stroke();
            }, this);
            ctx.globalAlpha = 1; ctx.strokeStyle = '#ffffff';
            Object.keys(pins).forEach(function (type) {
                var list = pins[type];
                ctx.beginPath();
                for (var j = 0; j < list.length; j += 3) {
                    ctx.moveTo(list[j] + PIN_RADIUS, list[j + 1]); ctx.arc(list[j], list[j + 1], PIN_RADIUS, 0, 2 * Math.PI);
                }
                ctx.fillStyle = this.options.types[type][1]; ctx.fill(); ctx.stroke();
            }, this);
        },

        _denseCanvas: function (ratio, rows) {
            var pack = this._pack, view = this._view, buffer = new PixelBuffer(this._points);
            var s = view.scale * ratio, lat = this._map.getCenter().lat * Math.PI / 180, i;
            // One grid of cells per precision: pins in cells of DENSE_CELL_PX, discs in cells of half their
            // radius (discs closer than that look alike), so the work stays bounded however many overlap.
            var grids = this.options.radii.map(function (metres) {
                var radius = metres ? Math.max(3, metres / (EARTH_CIRCUMFERENCE * Math.cos(lat) / view.scale)) : 0;
                var cell = Math.max(DENSE_CELL_PX, radius / 2) * ratio, gw = Math.ceil(buffer.w / cell) + 2;
                return {cell: cell, gw: gw, gh: Math.ceil(buffer.h / cell) + 2, top: null};
            });
            var cells = new Int32Array(rows.length);
            for (i = 0; i < rows.length; i++) {  // which row is on top in each cell (the last one drawn)
                var grid = grids[pack.precision[rows[i]]];
                var cx = Math.floor(((pack.x[rows[i]] - view.left) * s) / grid.cell) + 1;
                var cy = Math.floor(((pack.y[rows[i]] - view.top) * s) / grid.cell) + 1;
                if (cx < 0 || cy < 0 || cx >= grid.gw || cy >= grid.gh) { cells[i] = -1; continue; }
                if (!grid.top) { grid.top = new Int32Array(grid.gw * grid.gh).fill(-1); }
                cells[i] = cy * grid.gw + cx;
                grid.top[cells[i]] = i;
            }
            var stamps = this._stamps && this._stamps.ratio === ratio ? this._stamps
                : (this._stamps = {ratio: ratio, pins: this.options.types.map(function (t) { return pinStamp(t[1], ratio); }),
                                   colours: this.options.types.map(function (t) { return rgb(t[1]); })});
            for (var pass = 0; pass < 2; pass++) {  // discs first, pins on top
                for (i = 0; i < rows.length; i++) {
                    var row = rows[i], isDisc = this.options.radii[pack.precision[row]] > 0;
                    if (cells[i] < 0 || isDisc !== (pass === 0) || grids[pack.precision[row]].top[cells[i]] !== i) { continue; }
                    var px = (pack.x[row] - view.left) * s, py = (pack.y[row] - view.top) * s;
                    if (isDisc) { disc(buffer, stamps.colours[pack.type[row]], px, py, this._radiusPx(row) * ratio); }
                    else { stamp(buffer, stamps.pins[pack.type[row]], px, py); }
                }
            }
            buffer.put();
        },

        // --- WebGL -----------------------------------------------------------------------------------
        _initGl: function () {
            var gl = this._points.getContext('webgl2', {premultipliedAlpha: true, antialias: false});
            if (!gl) { throw new Error('webgl2 unavailable'); }
            var program = gl.createProgram();
            gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER));
            gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
            gl.linkProgram(program);
            if (!gl.getProgramParameter(program, gl.LINK_STATUS)) { throw new Error(gl.getProgramInfoLog(program)); }
            this._program = program;
            this._vao = gl.createVertexArray();
            gl.bindVertexArray(this._vao);
            var corners = gl.createBuffer();
            gl.bindBuffer(gl.ARRAY_BUFFER, corners);
            gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
            var where = gl.getAttribLocation(program, 'a_corner');
            gl.enableVertexAttribArray(where);
            gl.vertexAttribPointer(where, 2, gl.FLOAT, false, 0, 0);
            var uniforms = {};
            ['u_shift', 'u_scale', 'u_size', 'u_centreY', 'u_pass', 'u_colours', 'u_radii'].forEach(function (name) {
                uniforms[name] = gl.getUniformLocation(program, name);
            });
            this._uniforms = uniforms;
            gl.useProgram(program);
            var colours = new Float32Array(96);
            this.options.types.forEach(function (type, n) { colours.set(hexColour(type[1]), 3 * n); });
            gl.uniform3fv(uniforms.u_colours, colours);
            var radii = new Float32Array(8);
            this.options.radii.forEach(function (radius, n) { radii[n] = radius || 0; });
            gl.uniform1fv(uniforms.u_radii, radii);
            return gl;
        },

        _attribute: function (name, data, size, type) {
            var gl = this._gl, buffer = gl.createBuffer(), where = gl.getAttribLocation(this._program, name);
            gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
            gl.bufferData(gl.ARRAY_BUFFER, data, type === gl.FLOAT ? gl.STATIC_DRAW : gl.DYNAMIC_DRAW);
            gl.enableVertexAttribArray(where);
            gl.vertexAttribPointer(where, size, type, false, 0, 0);
            gl.vertexAttribDivisor(where, 1);
            return buffer;
        },

        _upload: function () {  // once per pack: positions and codes; the visibility buffer changes with masks
            var gl = this._gl, pack = this._pack;
            gl.bindVertexArray(this._vao);
            this._attribute('a_pos', pack.rel, 2, gl.FLOAT);
            this._attribute('a_type', pack.type, 1, gl.UNSIGNED_BYTE);
            this._attribute('a_precision', pack.precision, 1, gl.UNSIGNED_BYTE);
            this._visible = this._visible || new Uint8Array(pack.n);
            this._glVisible = this._attribute('a_visible', this._visible, 1, gl.UNSIGNED_BYTE);
        },

        _drawGl: function (ratio) {
            var gl = this._gl, pack = this._pack, view = this._view, u = this._uniforms;
            gl.viewport(0, 0, this._points.width, this._points.height);
            gl.clearColor(0, 0, 0, 0);
            gl.clear(gl.COLOR_BUFFER_BIT);
            if (!pack || !this.singles || !this.singles.length) { return; }
            var visible = this._visible || (this._visible = new Uint8Array(pack.n)), singles = this.singles;
            visible.fill(0);
            for (var i = 0; i < singles.length; i++) { visible[singles[i]] = 1; }
            gl.bindBuffer(gl.ARRAY_BUFFER, this._glVisible);
            gl.bufferSubData(gl.ARRAY_BUFFER, 0, visible);
            gl.useProgram(this._program);
            gl.bindVertexArray(this._vao);
            gl.enable(gl.BLEND);
            gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
            gl.uniform2f(u.u_shift, pack.centre[0] - view.left, pack.centre[1] - view.top);
            gl.uniform1f(u.u_scale, view.scale);
            gl.uniform2f(u.u_size, this._points.width / ratio, this._points.height / ratio);
            gl.uniform1f(u.u_centreY, pack.centre[1]);
            for (var pass = 0; pass < 2; pass++) {  // discs, then pins on top
                gl.uniform1f(u.u_pass, pass);
                gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, pack.n);
            }
        },

        /** Wait until what was drawn is rasterized: the GPU, or the 2D canvases' deferred drawing (tests time
         * a mask with it). */
        finish: function () {
            if (this._gl) { this._gl.readPixels(0, 0, 1, 1, this._gl.RGBA, this._gl.UNSIGNED_BYTE, new Uint8Array(4)); }
            [this._lines, this._badges].concat(this._gl ? [] : [this._points]).forEach(function (canvas) {
                if (canvas.width && canvas.height) { canvas.getContext('2d').getImageData(0, 0, 1, 1); }
            });
        },

        // --- Picking, hover and click ----------------------------------------------------------------
        /** [target, score] of what is under container point `point`: a cluster circle ({cluster}, its
         * squared distance), a pin within 7 px (its row, its squared distance), else a route line within
         * reach (its row, 1000), else a disc under the pointer (its row, 10000). */
        find: function (point) {
            var pack = this._pack, view = this._view, rows = this.singles;
            if (!pack || !view || !rows) { return null; }
            var clusters = this._clusters || [], nearest = null, nearestGap = CLUSTER_RADIUS * CLUSTER_RADIUS, i;
            for (i = 0; i < clusters.length; i++) {
                var cx = (clusters[i].x - view.left) * view.scale - point.x, cy = (clusters[i].y - view.top) * view.scale - point.y;
                if (cx * cx + cy * cy < nearestGap) { nearest = clusters[i]; nearestGap = cx * cx + cy * cy; }
            }
            if (nearest) { return [{cluster: nearest}, nearestGap]; }
            var best = -1, bestGap = PICK_PX * PICK_PX, disc = -1;
            for (i = 0; i < rows.length; i++) {
                var row = rows[i], dx = (pack.x[row] - view.left) * view.scale - point.x,
                    dy = (pack.y[row] - view.top) * view.scale - point.y;
                if (Math.abs(dx) > 1e5 || Math.abs(dy) > 1e5) { continue; }
                var gap = dx * dx + dy * dy;
                if (!this.options.radii[pack.precision[row]]) {
                    if (gap < bestGap) { best = row; bestGap = gap; }
                } else if (disc < 0) {
                    var r = this._radiusPx(row);
                    if (gap < r * r) { disc = row; }
                }
            }
            if (best >= 0) { return [best, bestGap]; }
            var line = this._findLine(point);
            if (line >= 0) { return [line, 1000]; }
            return disc >= 0 ? [disc, 10000] : null;
        },

        _findLine: function (point) {
            var pack = this._pack, view = this._view;
            for (var s = (this._shownLines || []).length - 1; s >= 0; s--) {
                var k = this._shownLines[s], style = this.options.statuses[this._lineStatus[k]] || [0, 0, 4];
                var reach = style[2] / 2 + 3, ax = null, ay = null;
                for (var j = pack.lineOffsets[k]; j < pack.lineOffsets[k + 1]; j++) {
                    if (isNaN(pack.vx[j])) { ax = null; continue; }
                    var bx = (pack.vx[j] - view.left) * view.scale, by = (pack.vy[j] - view.top) * view.scale;
                    if (ax !== null) {
                        var ex = bx - ax, ey = by - ay, length = ex * ex + ey * ey;
                        var t = length ? Math.max(0, Math.min(1, ((point.x - ax) * ex + (point.y - ay) * ey) / length)) : 0;
                        var gx = ax + t * ex - point.x, gy = ay + t * ey - point.y;
                        if (gx * gx + gy * gy <= reach * reach) { return pack.lineRows[k]; }
                    }
                    ax = bx; ay = by;
                }
            }
            return -1;
        },

        /** The event type of pack row `row`, with its route status on the map date for a route. */
        kind: function (row) {
            var pack = this._pack, text = (this.options.types[pack.type[row]] || ['Event'])[0];
            if (pack.isLine[row]) {
                var k = Array.prototype.indexOf.call(pack.lineRows, row);
                var status = this.options.statuses[this._lineStatus ? this._lineStatus[k] : pack.status[row]];
                if (status) { text += ', route ' + status[0].toLowerCase(); }
            }
            return text;
        },

        /** The dates of pack row `row` ('2021-03-01', '2021-03-01 – 2021-03-31'), or '' when unknown. */
        dates: function (row) {
            var start = this._pack.start[row], end = this._pack.end[row];
            if (start === NO_DAY && end === NO_DAY) { return ''; }
            var first = start !== NO_DAY ? isoDay(start) : 'date unknown', last = end !== NO_DAY ? isoDay(end) : 'date unknown';
            return first === last ? first : first + ' – ' + last;
        },

        /** The text shown for pack row `row`, in plain words: its title when the page carries it, else its
         * type, then its dates. No id. */
        label: function (row) {
            var texts = this.options.texts && this.options.texts[row];
            var text = texts && texts[0] ? String(texts[0]) : this.kind(row), dates = this.dates(row);
            return dates ? text + ' · ' + dates : text;
        },

        /** What a click hands streamlit-folium (as HTML; it reads its text): the label, escaped, then,
         * hidden, "[<id>] [#<row>]" (the id when the page carries ids). */
        clickText: function (row) {
            var id = this.options.ids ? '[' + escapeHtml(this.options.ids[row]) + '] ' : '';
            return escapeHtml(this.label(row)) + ' <span hidden>' + id + '[#' + row + ']</span>';
        },

        _at: function (row, latlng) {
            return this._pack.isLine[row] && latlng ? latlng
                : L.latLng(this._pack.lonlat[2 * row + 1], this._pack.lonlat[2 * row]);
        },

        _clusterAt: function (cluster) {
            return this._map.unproject(L.point(cluster.x * this._view.scale, cluster.y * this._view.scale), this._map.getZoom());
        },

        _nearest: function (point) {
            var best = null;
            (this._map._geoPacks || []).forEach(function (layer) {
                var found = layer.find(point);
                if (found && (!best || found[1] < best[2])) { best = [layer, found[0], found[1]]; }
            });
            return best;
        },

        _hover: function (e) {
            var hit = this._nearest(e.containerPoint), map = this._map;
            if (hit && hit[0] !== this) { return; }  // another pack owns the pointer
            map.getContainer().style.cursor = hit ? 'pointer' : '';
            var target = hit ? hit[1] : null, key = target === null ? -1 : typeof target === 'number' ? target : 'c' + target.cluster.cell;
            if (key === this._hoverRow) { return; }
            this._unhover();
            if (!hit) { return; }
            var text = document.createElement('span'), at;
            if (typeof target === 'number') {
                text.textContent = this.label(target);
                at = this._at(target, e.latlng);
            } else {
                var c = target.cluster, zoomed = c.same || map.getZoom() >= map.getMaxZoom();
                text.textContent = plural(c.count, 'event', 'events') + (c.same ? ' at one place' : ' close together') +
                    (zoomed ? ': click to list them' : ': click to zoom in');
                at = this._clusterAt(c);
            }
            this._hoverRow = key;
            this._tip = L.tooltip().setLatLng(at).setContent(text);
            map.openTooltip(this._tip);
        },

        _unhover: function () {
            this._hoverRow = -1;
            if (this._tip && this._map) { this._map.closeTooltip(this._tip); }
            this._tip = null;
        },

        _click: function (e) {
            var hit = this._nearest(e.containerPoint);
            if (!hit || hit[0] !== this) { return; }
            if (typeof hit[1] === 'number') { this.open(hit[1], e); } else { this.expand(hit[1].cluster); }
        },

        /** A click on `cluster`: zoom to its members, or list them when zooming cannot part them (they share
         * one point, or the map is at its last zoom). */
        expand: function (cluster) {
            var map = this._map, pack = this._pack, rows = this.members(cluster), bounds = L.latLngBounds([]);
            rows.forEach(function (row) { bounds.extend([pack.lonlat[2 * row + 1], pack.lonlat[2 * row]]); });
            var zoom = Math.min(map.getBoundsZoom(bounds), map.getMaxZoom());
            if (cluster.same || !rows.length || zoom <= map.getZoom()) {
                this.list(rows, this._clusterAt(cluster));
                return;
            }
            this._unhover();
            map.fitBounds(bounds, {animate: false, maxZoom: map.getMaxZoom()});
        },

        /** A popup at `at` listing pack rows `rows` (the first maxListed, then "and N more"), each a button
         * that selects its event as a click on its pin does. */
        list: function (rows, at) {
            var body = document.createElement('div'), head = document.createElement('div'), items = document.createElement('ul');
            body.className = 'geo-popup geo-pack-list';
            head.textContent = plural(rows.length, 'event', 'events') + ' here:';
            items.style.cssText = 'margin: 4px 0; padding-left: 16px; max-height: 220px; overflow-y: auto;';
            rows.slice(0, this.options.maxListed).forEach(function (row) {
                var item = document.createElement('li'), button = document.createElement('button');
                button.type = 'button';
                button.className = 'geo-pack-item';
                button.style.cssText = 'border: 0; background: none; padding: 1px 0; color: #0645ad; text-align: left; cursor: pointer;';
                button.textContent = this.label(row);
                L.DomEvent.on(button, 'click', function (event) {
                    L.DomEvent.stop(event);
                    this.open(row, {latlng: at, originalEvent: event});
                }, this);
                item.appendChild(button);
                items.appendChild(item);
            }, this);
            body.appendChild(head);
            body.appendChild(items);
            if (rows.length > this.options.maxListed) {
                var more = document.createElement('div');
                more.textContent = 'and ' + (rows.length - this.options.maxListed).toLocaleString('en') + ' more';
                body.appendChild(more);
            }
            this._unhover();
            L.popup({maxWidth: 340}).setLatLng(at).setContent(body).openOn(this._map);
        },

        /** Open pack row `row`'s short popup (title, type and dates, place, confidence, where to read
         * more) and tell streamlit-folium it was clicked. */
        open: function (row, e) {
            var at = this._at(row, e && e.latlng), body = document.createElement('div'), texts = this.options.texts && this.options.texts[row];
            body.className = 'geo-popup';
            function line(tag, text) {
                if (!text) { return; }
                var part = document.createElement(tag);
                part.textContent = text;
                body.appendChild(part);
            }
            line('h4', texts && texts[0] ? String(texts[0]) : this.kind(row));
            var dates = this.dates(row);
            line('div', texts && texts[0] ? this.kind(row) + (dates ? ' · ' + dates : '') : dates);
            line('div', texts && texts[1] ? String(texts[1]) : '');
            line('div', texts && texts[2] ? 'Confidence: ' + texts[2] : '');
            line('i', this.options.note);
            // streamlit-folium reads the clicked layer's tooltip: a bare tooltip object (not bindTooltip,
            // whose handlers need one LatLng) carrying this row's text.
            this._tooltip = (this._tooltip || L.tooltip()).setContent(this.clickText(row));
            this.lastClicked = row;
            this.fire('click', {latlng: at, sourceTarget: this, target: this, originalEvent: e && e.originalEvent});
            L.popup({maxWidth: 340}).setLatLng(at).setContent(body).openOn(this._map);
        }
    });

    /** Hand `mask` ({version, bits: base64 of little-endian bits over pack rows, statuses: base64 of a
     * status code per pack line or null}) to the pack layers on `group`'s map while `group` is on it. */
    L.GeoPack.mask = function (group, mask) {
        function update(map) {
            (map._geoPacks || []).forEach(function (layer) { layer.scheduleRefresh(); });
        }
        group.on('add', function () {
            var map = group._map;
            map._geoPackMasks = map._geoPackMasks || {};
            map._geoPackMasks[L.stamp(group)] = mask;
            group._geoPackMap = map;
            update(map);
        });
        group.on('remove', function () {
            var map = group._geoPackMap;
            if (map && map._geoPackMasks) { delete map._geoPackMasks[L.stamp(group)]; update(map); }
        });
        if (group._map) { group.fire('add'); }
    };

    L.GeoPack.readPack = readPack;
})();
