"""What MMEngine's current logger prints while a block runs."""
import logging
from contextlib import contextmanager

from mmengine.logging import MMLogger


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def logged_messages(level=logging.WARNING):
    """Yield a list that fills with the messages of ``level`` or above."""
    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    messages = []
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        messages.extend(r.getMessage() for r in handler.records if r.levelno >= level)
