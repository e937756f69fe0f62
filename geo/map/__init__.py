"""How a view becomes a map: style, front-end assets, layers, the point pack, the canvas layer, the view
buttons, pre-rendered scripts, and the one view → map function."""
