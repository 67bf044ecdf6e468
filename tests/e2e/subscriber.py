"""A small event subscriber for the end-to-end suite: it stands in for a consuming
service (POST /api/events/) until notification_service consumes events, records
what arrives, acknowledges an id it has seen without recording it again, and can be
taken down and brought back on the same port."""

import json
import threading
from http.server import ThreadingHTTPServer

from tests.e2e.stand_ins import QuietHandler, StandIn
from tests.e2e.waiting import wait_until


class EventRecorder(StandIn):
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/api/events/"
        self.events: dict[str, dict] = {}  # id -> envelope, first arrival only
        self.arrivals: list[str] = []  # every id as it arrived, repeats included
        self.authorizations: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        recorder = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with recorder._lock:
                    recorder.arrivals.append(body.get("id"))
                    recorder.authorizations.append(self.headers.get("Authorization", ""))
                    seen = body.get("id") in recorder.events
                    if not seen:
                        recorder.events[body.get("id")] = body
                self.reply(json.dumps({"id": body.get("id"), "status": "duplicate" if seen else "processed"}).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, event_type: str) -> list[dict]:
        with self._lock:
            return [event for event in self.events.values() if event["type"] == event_type]

    def wait_for(self, predicate, timeout: float = 15.0) -> list[dict]:
        """Polls until predicate(events) returns something truthy; returns it, or fails."""

        def matching():
            with self._lock:
                return predicate(list(self.events.values()))

        return wait_until("a matching event", matching, timeout)
