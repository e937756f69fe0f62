"""What a reader chose to see: the filters, the view a link carries, and time (the map date)."""
