"""Bringing events in from spreadsheets and ACLED exports, and taking them out to GIS formats.

`sheet` reads CSV/XLSX cells, `cells` reads values out of them, `table` turns a spreadsheet's rows into
events, `acled` does the same for ACLED's export following its codebook, `export` writes GeoPackage, KML,
HXL, CSV and GeoJSON, and `commands` holds their `python -m geo` commands.
"""
