"""rostersync connector for a folder of simple CSV files — the example connector to copy.

The hooks live in :mod:`rostersync_csvdir.connector` (the entry point); the folder's
format is described in this distribution's README.
"""

__version__ = "0.1.0"
