/*
 * L.geoMapKeys(map): the map is ONE tab stop, used from the keyboard and named for screen readers.
 *
 * - The map container has an accessible name and a description of its keys (aria-describedby).
 * - Nothing inside the map is in the tab order (markers, clusters, zoom, layer control, attribution,
 *   popup close buttons): a MutationObserver keeps every focusable element inside at tabindex -1, also
 *   controls added later (streamlit-folium re-adds the layer control on each rerun).
 * - From the focused map: arrows pan and + / - zoom (Leaflet's own), Escape closes a popup (Leaflet's),
 *   N / P go to the next / previous event in view: it is shown (zoomed to or spread out of its cluster),
 *   its popup opens and its click is fired, so the page's details follow; 1-9 switch the layer
 *   control's overlays on and off. Each move is announced in a polite live region.
 *   (B and A belong to the view buttons, static/js/viewbuttons.js.)
 */
(function () {
    'use strict';
    if (L.geoMapKeys) { return; }

    // A click on the map focuses it; a plain focus() scrolls a map partly below the fold, so the click that
    // focused it lands beside what the reader aimed at (the first click on a crossing missed at 1280×720).
    var scrollingFocus = L.Map.Keyboard.prototype._onMouseDown;
    L.Map.Keyboard.include({_onMouseDown: function () {
        if (!this._focused) { this._map._container.focus({preventScroll: true}); }
    }});

    /* A map made before this script ran holds Leaflet's own handler: swap it for the one above. */
    function focusWithoutScrolling(map) {
        if (map.keyboard && map.keyboard.enabled()) {
            L.DomEvent.off(map._container, 'mousedown', scrollingFocus, map.keyboard);
            L.DomEvent.off(map._container, 'mousedown', map.keyboard._onMouseDown, map.keyboard);
            L.DomEvent.on(map._container, 'mousedown', map.keyboard._onMouseDown, map.keyboard);
        }
    }

    var HINT = 'Map keys: arrow keys move the map; plus and minus zoom; N and P go to the next and previous '
        + 'event in view and open it; B shows the border, A every event; 1 to 9 switch the map layers on '
        + 'and off; Escape closes a popup.';
    // Chromium also gives a tab stop to each interactive vector path (routes, the border line).
    var FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex], path.leaflet-interactive';
    var hidden = 'position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);'
        + 'white-space:nowrap;';

    function untab(root, container) {
        if (root.nodeType !== 1) { return; }
        var found = root.matches(FOCUSABLE) ? [root] : [];
        found = found.concat(Array.prototype.slice.call(root.querySelectorAll(FOCUSABLE)));
        found.forEach(function (el) {
            if (el !== container && el.getAttribute('tabindex') !== '-1') {
                el.setAttribute('tabindex', '-1');
            }
        });
    }

    /* What a reader sees of a layer's tooltip: its text without hidden parts (the id a click carries). */
    function plainText(html) {
        var box = document.createElement('div');
        box.innerHTML = html || '';
        Array.prototype.forEach.call(box.querySelectorAll('[hidden]'), function (el) { el.remove(); });
        Array.prototype.forEach.call(box.querySelectorAll('br'), function (el) { el.replaceWith(', '); });
        return (box.textContent || '').replace(/\s+/g, ' ').trim();
    }

    function markerText(marker) {
        var tooltip = marker.getTooltip && marker.getTooltip();
        var content = tooltip ? tooltip.getContent() : '';
        return plainText(typeof content === 'string' ? content : (content && content.innerHTML));
    }

    /* The pins whose place is in view, north to south, then west to east (reading order). */
    function pinsInView(map) {
        var clusters = map.geoEventClusters;
        if (!clusters) { return []; }
        var bounds = map.getBounds();
        return clusters.getLayers().filter(function (marker) {
            return bounds.contains(marker.getLatLng());
        }).sort(function (a, b) {
            var pa = a.getLatLng(), pb = b.getLatLng();
            return (pb.lat - pa.lat) || (pa.lng - pb.lng) || (L.stamp(a) - L.stamp(b));
        });
    }

    L.geoMapKeys = function (map) {
        var container = map.getContainer();
        if (container.geoMapKeys) { return; }
        container.geoMapKeys = true;
        focusWithoutScrolling(map);
        var hint = L.DomUtil.create('div', 'geo-map-hint', container.parentNode || container);
        hint.id = 'geo-map-keys-' + L.stamp(map);
        hint.setAttribute('style', hidden);
        hint.textContent = HINT;
        var live = L.DomUtil.create('div', 'geo-map-live', container.parentNode || container);
        live.setAttribute('style', hidden);
        live.setAttribute('aria-live', 'polite');
        live.setAttribute('role', 'status');
        container.setAttribute('role', 'region');
        container.setAttribute('aria-roledescription', 'map');
        container.setAttribute('aria-label', 'Map of the events; press N for the first event in view');
        container.setAttribute('aria-describedby', hint.id);
        container.setAttribute('tabindex', '0');

        untab(container, container);
        new window.MutationObserver(function (mutations) {
            mutations.forEach(function (m) {
                if (m.type === 'attributes') {
                    untab(m.target, container);
                } else {
                    Array.prototype.forEach.call(m.addedNodes, function (node) { untab(node, container); });
                }
            });
        }).observe(container, {subtree: true, childList: true, attributes: true,
            attributeFilter: ['tabindex', 'href']});

        var current = null;

        function say(text) {
            live.textContent = '';
            window.setTimeout(function () { live.textContent = text; }, 30);
        }

        function step(by) {
            var pins = pinsInView(map);
            if (!pins.length) {
                say('No events in view. Zoom out (minus) or press A to see every event.');
                return;
            }
            var at = pins.indexOf(current);
            var next = at < 0 ? (by > 0 ? 0 : pins.length - 1) : (at + by + pins.length) % pins.length;
            var marker = pins[next];
            current = marker;
            var open = function () {
                marker.fire('click', {latlng: marker.getLatLng()}, true);
                if (!marker.isPopupOpen || !marker.isPopupOpen()) { marker.openPopup(); }
                container.focus({preventScroll: true});
            };
            map.geoEventClusters.zoomToShowLayer(marker, open);
            say('Event ' + (next + 1) + ' of ' + pins.length + ' in view: ' + markerText(marker));
        }

        function toggleOverlay(n) {
            var labels = container.querySelectorAll('.leaflet-control-layers-overlays label');
            var label = labels[n - 1];
            var input = label && label.querySelector('input');
            if (!input) { return; }
            input.click();
            say(label.textContent.trim() + (input.checked ? ' shown' : ' hidden'));
        }

        L.DomEvent.on(container, 'keydown', function (e) {
            if (e.altKey || e.ctrlKey || e.metaKey) { return; }
            var target = e.target;
            if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
            var key = e.key;
            if (key === 'n' || key === 'N') {
                step(1);
            } else if (key === 'p' || key === 'P') {
                step(-1);
            } else if (/^[1-9]$/.test(key)) {
                toggleOverlay(Number(key));
            } else {
                return;
            }
            L.DomEvent.preventDefault(e);
        });
        map.on('popupopen', function (e) {
            untab(e.popup.getElement(), container);
        });
    };
})();
