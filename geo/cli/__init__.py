"""`python -m geo`: the command line over the library."""
