"""queuewatch: a live terminal dashboard of Genesys Cloud queues."""

__version__ = "0.1.0"
