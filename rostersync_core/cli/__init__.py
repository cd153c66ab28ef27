"""The ``rostersync`` command line."""
