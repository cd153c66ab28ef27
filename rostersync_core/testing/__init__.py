"""Testing helpers for connector authors: the connector contract suite and its pytest plugin."""
