"""Bringing events in from spreadsheets and ACLED exports, and taking them out to GIS formats.

`events_file` reads an events file by its suffix through `geojson` or `geoparquet` (`geoparquet_batches`
writes one batch by batch), `prepared` caches a loaded dataset, `sheet` reads CSV/XLSX cells, `cells` reads
values out of them, `table` turns a spreadsheet's rows into events, `acled` does the same for ACLED's export
following its codebook, `csv` writes the CSV download, `export` writes GeoPackage, KML, HXL, CSV and GeoJSON,
`downloads` builds them for the dashboard within limits, and `atomic` is how every one of them replaces a file.
"""
