"""What a reader reads about events: the details panel, the event lists and safe markup."""
