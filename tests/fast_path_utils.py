"""A fixture for the tests of the mentor fast path: the log lines it writes."""
import logging

import pytest
from mmengine.logging import MMLogger


@pytest.fixture
def fast_path_log():
    """Call it to get the mentor fast path's log lines so far in the test."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield lambda: [record.getMessage() for record in records
                   if record.getMessage().startswith('mentor fast path:')]
    logger.removeHandler(handler)
