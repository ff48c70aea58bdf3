"""The click command-line interface: thin commands that call the library."""
