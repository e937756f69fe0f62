/*
 * L.geoBasemap(map, url, options): the offline basemap fetched once from the app (a static file), not sent inside
 * the map's script on every rerun. Land (the region's countries and the world's coarse land) goes to the land
 * pane, quiet and not interactive; the China-DPRK border is drawn dashed above it, named on hover.
 * options: {land: <path style>, border: <path style>, landPane: <pane name>}. The file is the project's own
 * data/basemap.geojson; its names are still set as text, never as markup.
 */
(function () {
    'use strict';
    if (L.geoBasemap) { return; }

    function ofKind(data, kinds) {
        return {type: 'FeatureCollection', features: data.features.filter(function (feature) {
            return kinds.indexOf(feature.properties.kind) >= 0;
        })};
    }

    L.geoBasemap = function (map, url, options) {
        fetch(url).then(function (response) {
            if (!response.ok) { throw new Error('basemap: HTTP ' + response.status); }
            return response.json();
        }).then(function (data) {
            L.geoJSON(ofKind(data, ['country', 'land']), {
                style: function () { return options.land; }, interactive: false, pane: options.landPane
            }).addTo(map);
            L.geoJSON(ofKind(data, ['border']), {
                style: function () { return options.border; },
                onEachFeature: function (feature, layer) {
                    var name = document.createElement('span');
                    name.textContent = feature.properties.name;
                    layer.bindTooltip(name, {sticky: true});
                }
            }).addTo(map);
        }).catch(function (error) { console.error(error); });
    };
}());
