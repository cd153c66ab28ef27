"""rostersync connector for 1EdTech OneRoster 1.1 and 1.2 (REST and CSV).

Installed, it registers itself under the ``rostersync.connectors`` entry point as
``oneroster``. See ``docs/connectors/oneroster.md``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
