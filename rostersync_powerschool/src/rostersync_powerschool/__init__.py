"""rostersync-powerschool: the rostersync connector for the PowerSchool SIS REST API.

Installed, it is found by rostersync through the ``rostersync.connectors`` entry point
``powerschool``. The fake server for tests is in :mod:`rostersync_powerschool.testing`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
