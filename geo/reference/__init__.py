"""Where things are: the reference towns, the border crossings, the gazetteer, the border geography and
the offline basemap."""
