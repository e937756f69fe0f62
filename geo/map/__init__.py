"""How a view becomes a map: style, front-end assets, the base map, legend, popups, the event and crossing
layers, the point pack and its canvas layer, the view buttons, pre-rendered scripts, folium's private parts
(folium_parts, the only module that touches them) and the one view → map function (mapview.map_parts)."""
