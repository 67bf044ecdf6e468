"""What the suite's stand-in servers share: the mailbox, the event subscriber, the OTLP
receiver, a peer answering garbage, the benchmarks' fake peers."""

import contextlib
from http.server import BaseHTTPRequestHandler


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with `reply`."""

    def reply(self, body: bytes, content_type: str = "application/json", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class StandIn:
    """A test's stand-in server on a fixed port, which can be taken down and brought
    back on it, to see that what failed to reach it is sent again."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def down(self):
        """Nothing listens on the port inside the block: what is sent there is refused."""
        self.stop()
        try:
            yield
        finally:
            self.start()
