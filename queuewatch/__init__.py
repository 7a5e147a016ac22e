"""queuewatch: a live terminal dashboard of Genesys Cloud queues."""

import logging

__version__ = "0.1.0"

# Nothing is logged unless --log-file asks for it: without a handler, Python's last-resort handler
# would print warnings on stderr next to the one line the CLI prints for the same error.
logging.getLogger("queuewatch").addHandler(logging.NullHandler())
