/*
 * L.GeoEventLayer: one event layer of the map (trade routes, worker locations, incidents). Its pins go
 * to ONE marker cluster group per map (shared by the three layers, so the pins of every layer at one
 * place form one cluster with their count); its route lines and uncertainty discs stay plain layers.
 * The pins sit in a Leaflet.FeatureGroup.SubGroup of the cluster group, itself a child of this layer:
 * adding or removing the layer (the layer control, or streamlit-folium swapping the layers on a rerun)
 * adds or removes exactly its pins from the clusters, so no stale pin stays behind.
 *
 * Discs go to their own pane (DISC_PANE) below the route lines and the markers, faint as a whole.
 * Needs leaflet.markercluster and leaflet.featuregroup.subgroup (geo/map/assets.py vendors them).
 */
(function () {
    'use strict';
    if (L.GeoEventLayer) { return; }

    var DISC_PANE = 'geo-discs';

    function clusterLabel(count) {
        return count + ' events here; zoom in or click to see them';
    }

    function clusterIcon(cluster) {
        var count = cluster.getChildCount();
        var size = count < 10 ? 34 : (count < 100 ? 40 : 46);
        var html = '<div class="geo-cluster" role="img" aria-label="' + clusterLabel(count) + '">'
            + '<span aria-hidden="true">' + count + '</span></div>';
        return L.divIcon({html: html, className: 'geo-cluster-icon', iconSize: [size, size]});
    }

    // Cluster icons are markers too: keep them out of the tab order (the map is one tab stop).
    L.MarkerCluster.prototype.options.keyboard = false;

    /* The map's one cluster group for event pins (made and added on first use). */
    L.geoEventClusters = function (map) {
        if (!map.geoEventClusters) {
            map.geoEventClusters = L.markerClusterGroup({
                maxClusterRadius: 40,
                showCoverageOnHover: false,
                spiderfyOnMaxZoom: true,
                iconCreateFunction: clusterIcon,
                spiderLegPolylineOptions: {weight: 1.5, color: '#222', opacity: 0.6}
            });
            map.addLayer(map.geoEventClusters);
        }
        return map.geoEventClusters;
    };

    function ensureDiscPane(map) {
        if (!map.getPane(DISC_PANE)) {
            var pane = map.createPane(DISC_PANE);
            pane.style.zIndex = 350;  // below the overlay pane (route lines, 400) and the markers (600)
            pane.style.pointerEvents = 'none';
            // The discs are opaque in one SVG and the pane is faint: 20 discs at one town read as one
            // faint disc, not as a dark blot over the pins.
            pane.style.opacity = 0.14;
        }
    }

    L.GeoEventLayer = L.FeatureGroup.extend({
        initialize: function (options) {
            L.FeatureGroup.prototype.initialize.call(this, [], options);
            this._pins = L.featureGroup.subGroup(null);
            L.FeatureGroup.prototype.addLayer.call(this, this._pins);
        },

        addLayer: function (layer) {
            if (layer instanceof L.Marker) {
                this._pins.addLayer(layer);
                return this;
            }
            return L.FeatureGroup.prototype.addLayer.call(this, layer);
        },

        removeLayer: function (layer) {
            if (layer instanceof L.Marker && this._pins.hasLayer(layer)) {
                this._pins.removeLayer(layer);
                return this;
            }
            return L.FeatureGroup.prototype.removeLayer.call(this, layer);
        },

        onAdd: function (map) {
            ensureDiscPane(map);
            if (this._pins.getParentGroup() !== L.geoEventClusters(map)) {
                this._pins.setParentGroup(L.geoEventClusters(map));
            }
            L.FeatureGroup.prototype.onAdd.call(this, map);
        },

        /* The pins of this layer (clustered or not). */
        getPins: function () {
            return this._pins.getLayers();
        }
    });

    L.geoEventLayer = function (options) {
        return new L.GeoEventLayer(options);
    };
    L.geoEventLayer.DISC_PANE = DISC_PANE;
})();
