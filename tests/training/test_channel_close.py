"""A channel closed while its reader waits on the pipe: the reader ends quietly."""

from __future__ import annotations

import logging

from ganlab.training.channel import Channel
from tests.conftest import wait_until


class ClosedUnderTheReader:
    """A connection whose handle close() has taken: multiprocessing's recv_bytes then raises
    TypeError (its handle is None), as it did when 30 runs were released at once."""

    def recv_bytes(self):
        raise TypeError("'NoneType' object cannot be interpreted as an integer")

    def send_bytes(self, data):
        raise OSError("handle is closed")

    def fileno(self):
        raise OSError("handle is closed")

    def close(self):
        pass


def test_a_pipe_closed_mid_read_ends_the_reader_without_a_logged_traceback(caplog):
    with caplog.at_level(logging.ERROR, logger="ganlab.training.channel"):
        channel = Channel(ClosedUnderTheReader(), name="closing")
        wait_until(lambda: channel.closed, timeout=10)  # before: it logged and read again, forever
        channel.join(5)
    assert not [r for r in caplog.records if "unreadable message" in r.getMessage()]
