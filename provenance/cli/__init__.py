"""The command-line interface: thin click commands over plain library functions."""
