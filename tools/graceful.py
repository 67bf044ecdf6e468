"""waitress that stops gracefully: on SIGTERM or SIGINT a service stops taking new
connections, finishes the requests it has within a grace period, and exits.

waitress's own runner has no graceful stop (the process dies with what it was serving),
so tools/serve.py runs waitress's server object here, in a loop of its own:

- serving: waitress's poll loop, as waitress runs it, until a stop is asked for (the
  signal handler only sets a flag and wakes the loop through waitress's trigger);
- draining: the connections already waiting are accepted, then the listening socket is
  closed, so new ones are refused (and a readiness probe fails); idle kept-alive
  connections are closed, and every response still to be sent says `Connection: close`;
  the loop runs until no request is left or the grace period is over (a second signal
  ends the wait at once);
- then the worker threads stop, each closing its own database connections (Django keeps
  one per thread), and `serve()` returns 0, or 1 if requests were cut at the deadline.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.task import ThreadedTaskDispatcher

from tools.lean_waitress import LeanChannel, LeanServer, LeanTask

logger = logging.getLogger(__name__)


class _Task(LeanTask):
    def build_response_header(self):
        if self.channel.server.draining:  # the client must not send another request on this connection
            self.set_close_on_finish()
        return super().build_response_header()


class _Channel(LeanChannel):
    task_class = _Task


class _Server(LeanServer):
    channel_class = _Channel
    draining = False


class _Workers(ThreadedTaskDispatcher):
    """waitress's worker threads, each running `on_exit` as it stops; they can be joined."""

    def __init__(self, on_exit: Callable[[], object]):
        super().__init__()
        self.on_exit = on_exit
        self.started: list[threading.Thread] = []

    def start_new_thread(self, target, thread_no):
        thread = threading.Thread(target=self._work, args=(target, thread_no), name=f"waitress-{thread_no}")
        thread.daemon = True  # one still in a request at the deadline must not hold the exit
        self.started.append(thread)
        thread.start()

    def _work(self, target, thread_no) -> None:
        try:
            target(thread_no)
        finally:
            self.on_exit()

    def join(self, deadline: float) -> None:
        for thread in self.started:
            thread.join(max(deadline - time.monotonic(), 0))


def exit_on_signals_while_starting() -> None:
    """SIGTERM or SIGINT before GracefulServer.stop_on_signals takes over (while the service
    migrates or loads) ends the process with exit code 0: nothing is being served yet. The
    first process of a container has no default action for SIGTERM, so it would otherwise
    go on starting until SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_now)


def _exit_now(signum, frame):
    raise SystemExit(0)  # subprocess.run kills a migration under way on its way out


class GracefulServer:
    """waitress on one address with its settings (`adjustments`: waitress's keyword
    arguments), serving until stop() and draining for up to `grace_seconds`."""

    def __init__(
        self,
        application,
        *,
        grace_seconds: float,
        on_worker_exit: Callable[[], object] = lambda: None,
        **adjustments,
    ):
        adj = Adjustments(**adjustments)
        self.grace_seconds = grace_seconds
        self._map: dict = {}
        self._workers = _Workers(on_worker_exit)
        self._workers.set_thread_count(adj.threads)
        self.server = _Server(application, map=self._map, dispatcher=self._workers, adj=adj)
        self._poll = wasyncore.poll2 if adj.asyncore_use_poll else wasyncore.poll
        self._stop_asked = False
        self._hurry = False
        self._closed = False

    @property
    def address(self) -> tuple[str, int]:
        return self.server.effective_host, int(self.server.effective_port)

    def stop(self) -> None:
        """Asks serve() to drain and return; a second call ends the wait for requests.
        Safe in a signal handler: it sets flags and writes a byte to waitress's trigger."""
        if self._stop_asked:
            self._hurry = True
        self._stop_asked = True
        if not self._closed:
            self.server.pull_trigger()

    def stop_on_signals(self) -> None:
        """SIGTERM (docker stop, Kubernetes, make run's supervisor) and SIGINT (Ctrl-C)
        call stop(). Only from the main thread, as Python's signal handlers are."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stop())

    def serve(self) -> int:
        """Serves until stop(), then drains; 0 if every request finished, 1 if some
        were still running at the end of the grace period."""
        logger.info("Serving on http://%s:%s", *self.address)
        timeout = self.server.adj.asyncore_loop_timeout
        while not self._stop_asked:
            self._poll(timeout, self._map)
        deadline = time.monotonic() + self.grace_seconds
        self._stop_accepting()
        self._poll(0, self._map)  # reads what the connections already sent, so a request there counts as in flight
        busy = self._close_idle()
        logger.info("stopping: no new connections; %d in flight, up to %g s for them", busy, self.grace_seconds)
        while busy and not self._hurry and (left := deadline - time.monotonic()) > 0:
            self._poll(min(left, timeout), self._map)
            busy = self._close_idle()
        if self._hurry:  # nor for the worker threads
            deadline = time.monotonic()
        if busy:
            logger.warning("stopping with %d request(s) unfinished", busy)
        self._workers.shutdown(cancel_pending=True, timeout=max(deadline - time.monotonic(), 0))
        self._workers.join(deadline)
        self._closed = True
        wasyncore.close_all(self._map)
        logger.info("stopped")
        return 1 if busy else 0

    def _stop_accepting(self) -> None:
        server = self.server
        server.draining = True
        while True:  # what connected before the stop is served, not reset
            before = len(self._map)
            server.handle_accept()
            if len(self._map) == before:
                break
        # The listening socket only: BaseWSGIServer.close would also close the trigger the
        # worker threads wake this loop with.
        wasyncore.dispatcher.close(server)

    def _close_idle(self) -> int:
        """Marks the connections with nothing to do for closing (the next poll round closes
        them); returns how many still have a request to receive, run or send."""
        busy = 0
        for channel in list(self.server.active_channels.values()):
            if channel.requests or channel.request is not None or channel.total_outbufs_len:
                busy += 1
            else:
                channel.will_close = True
        return busy
