/*
 * L.GeoViewButtons: 'Border' and 'All' buttons under the zoom control; each fits the map to its bounds
 * (geo/map/viewcontrol.py passes them). buttons: [[key, text, title, [[south, west], [north, east]], shortcut], ...]
 * start: [[south, west], [north, east]] or null, the bounds the map opens on. They are fitted once the
 * map has a size: fitBounds on a 0x0 map (a hidden frame) yields a NaN view and throws.
 * The map is one tab stop: the buttons are not tab stops (tabindex -1); with the map focused, each button's
 * shortcut key (aria-keyshortcuts) does what a click does.
 */
(function () {
    'use strict';
    if (L.GeoViewButtons) { return; }

    // Place labels stick out up to ~70 px beside their dot (Sinuiju to the left, Hunchun and Rason to the
    // right), and a border 6 degrees wide in a 500-600 px map falls between two whole zooms: fit it with room
    // for the labels at the nearest quarter zoom, not the whole zoom below (where the Tumen towns' labels
    // print over each other).
    // On a phone-wide map the room shrinks with the width.
    var LABEL_ROOM = 70;
    var FINE_SNAP = 0.25;

    function fit(map, bounds, animate) {
        var snap = map.options.zoomSnap;
        var room = Math.min(LABEL_ROOM, Math.round(map.getSize().x * 0.12));
        map.options.zoomSnap = Math.min(snap || 1, FINE_SNAP);
        try {
            map.fitBounds(bounds, {animate: animate, paddingTopLeft: [room, 24], paddingBottomRight: [room, 24]});
        } finally {
            map.options.zoomSnap = snap;
        }
    }

    function fitWhenSized(map, bounds) {
        var size = map.getSize();
        if (size.x > 0 && size.y > 0) {
            fit(map, bounds, false);
        } else {
            map.once('resize', function () { fitWhenSized(map, bounds); });
        }
    }

    L.GeoViewButtons = L.Control.extend({
        options: {position: 'topleft', buttons: [], start: null},

        onAdd: function (map) {
            if (this.options.start) { fitWhenSized(map, this.options.start); }
            var bar = L.DomUtil.create('div', 'leaflet-bar geo-view-buttons');
            var shortcuts = {};
            this.options.buttons.forEach(function (button) {
                var link = L.DomUtil.create('a', 'geo-view-' + button[0], bar);
                var shortcut = button[4];
                link.href = '#';
                link.tabIndex = -1;
                link.title = shortcut ? button[2] + ' (key ' + shortcut.toUpperCase() + ')' : button[2];
                link.setAttribute('role', 'button');
                link.setAttribute('aria-label', button[1] + ': ' + button[2]);  // starts with what it shows
                if (shortcut) {
                    link.setAttribute('aria-keyshortcuts', shortcut.toUpperCase());
                    shortcuts[shortcut.toLowerCase()] = button[3];
                }
                link.textContent = button[1];
                link.style.width = 'auto';
                link.style.padding = '0 6px';
                link.style.fontSize = '12px';
                L.DomEvent.on(link, 'click', function (e) {
                    L.DomEvent.stop(e);
                    fit(map, button[3], true);
                });
            });
            L.DomEvent.disableClickPropagation(bar);
            this._mapContainer = map.getContainer();
            this._onKey = function (e) {
                if (e.target !== this._mapContainer || e.altKey || e.ctrlKey || e.metaKey || !e.key) { return; }
                var bounds = shortcuts[e.key.toLowerCase()];
                if (bounds) {
                    L.DomEvent.stop(e);
                    fit(map, bounds, true);
                }
            };
            L.DomEvent.on(this._mapContainer, 'keydown', this._onKey, this);
            return bar;
        },

        onRemove: function () {
            L.DomEvent.off(this._mapContainer, 'keydown', this._onKey, this);
        }
    });
})();
