"""waitress's server, channel, task and trigger with fewer system calls per request.

In one process, waitress's poll loop and its worker threads share the GIL, and a thread
lets the others take it at every system call. Under concurrent requests each of those
handoffs is a context switch, so a service served fewer requests per second at 16
connections than at one (docs/performance.md, "Serving"). Three calls per request are
dropped here:

- the response's header waits for the body's first part, so a small response goes out
  in one send() where waitress makes two;
- the trigger that wakes the poll loop, pulled by a worker after every request, is
  written to only when no wake-up is already on its way;
- (common.request_id makes request ids without os.urandom.)
"""

from waitress import trigger
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import WSGITask


class LeanTask(WSGITask):
    def write(self, data):
        if self.wrote_header:
            return super().write(data)
        channel = self.channel
        channel.hold_next = True  # the header, which super().write sends first
        try:
            super().write(data)
        finally:
            channel.hold_next = False
            channel.release_held()


class LeanChannel(HTTPChannel):
    task_class = LeanTask
    hold_next = False
    held = b""

    def write_soon(self, data):
        if self.hold_next:
            self.hold_next = False
            self.held = data
            return len(data)
        if self.held and isinstance(data, bytes):
            data, self.held = self.held + data, b""
        else:  # a file (wsgi.file_wrapper) goes after the header, as it is
            self.release_held()
        return super().write_soon(data)

    def release_held(self) -> None:
        if self.held:
            held, self.held = self.held, b""
            super().write_soon(held)


class LeanTrigger(trigger.trigger):
    """waitress's trigger, written to only if the loop has read every earlier pull."""

    pending = False

    def pull_trigger(self, thunk=None):
        if thunk or not self.pending:
            self.pending = True
            super().pull_trigger(thunk)

    def handle_read(self):
        super().handle_read()
        # After the read, not before: a pull skipped meanwhile saw pending still set, so
        # its change was made before the loop's next round, which will see it.
        self.pending = False


class LeanServer(TcpWSGIServer):
    channel_class = LeanChannel

    def __init__(self, *args, map, **kwargs):
        super().__init__(*args, map=map, **kwargs)
        self.trigger.close()
        self.trigger = LeanTrigger(map)
