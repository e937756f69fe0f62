/*
 * L.GeoViewButtons: 'Border' and 'All' buttons under the zoom control; each fits the map to its bounds
 * (geo/map/viewcontrol.py passes them). buttons: [[key, text, title, [[south, west], [north, east]]], ...]
 * start: [[south, west], [north, east]] or null, the bounds the map opens on. They are fitted once the
 * map has a size: fitBounds on a 0x0 map (a hidden frame) yields a NaN view and throws.
 */
(function () {
    'use strict';
    if (L.GeoViewButtons) { return; }

    function fitWhenSized(map, bounds) {
        var size = map.getSize();
        if (size.x > 0 && size.y > 0) {
            map.fitBounds(bounds, {padding: [30, 30], animate: false});
        } else {
            map.once('resize', function () { fitWhenSized(map, bounds); });
        }
    }

    L.GeoViewButtons = L.Control.extend({
        options: {position: 'topleft', buttons: [], start: null},

        onAdd: function (map) {
            if (this.options.start) { fitWhenSized(map, this.options.start); }
            var bar = L.DomUtil.create('div', 'leaflet-bar geo-view-buttons');
            this.options.buttons.forEach(function (button) {
                var link = L.DomUtil.create('a', 'geo-view-' + button[0], bar);
                link.href = '#';
                link.title = button[2];
                link.setAttribute('role', 'button');
                link.setAttribute('aria-label', button[2]);
                link.textContent = button[1];
                link.style.width = 'auto';
                link.style.padding = '0 6px';
                link.style.fontSize = '12px';
                L.DomEvent.on(link, 'click', function (e) {
                    L.DomEvent.stop(e);
                    map.fitBounds(button[3], {padding: [20, 20]});
                });
            });
            L.DomEvent.disableClickPropagation(bar);
            return bar;
        }
    });
})();
