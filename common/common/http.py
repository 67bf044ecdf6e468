"""The one way a service calls another.

One pooled requests.Session per target service (its adapter sends over
common.connections, the gateway's HTTP/1.1 client, in place of urllib3's pool), connect
and read timeouts on every call, retries of idempotent calls on connection errors only,
the request id and a token passed on (and, with tracing on, the W3C traceparent: common.telemetry
instruments requests). Each call is counted by peer and outcome (common.metrics).
A peer that cannot be reached, times out or fails with a 5xx raises
ServiceUnavailable (503) or ServiceTimeout (504) naming it; a 4xx is returned for the
caller to interpret.

A peer's answer is read with `peer_body(response, service=..., shape=...)`: a body that
is not JSON, or not of the shape the contract gives, is that peer being unavailable
(503 naming it), as if it were down, never a 500 of the caller's.
"""

import http.client
import logging
import time
import zlib
from collections.abc import Iterator
from typing import Any, Self, cast

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from common.auth import service_token
from common.connections import Answer, ServiceConnections
from common.errors import ServiceTimeout, ServiceUnavailable
from common.lazy import PerKey
from common.metrics import outcome_of_status, record_call
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.request_id import current_request_id

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _ConnectRetry(Retry):
    """Retry connection failures (nothing reached the peer) of idempotent methods
    only; a POST is never sent twice by the client."""

    def increment(self, method: str | None = None, *args: Any, **kwargs: Any) -> Self:
        if method is not None and method.upper() not in IDEMPOTENT_METHODS:
            return cast(Self, Retry(total=0).increment(method, *args, **kwargs))  # raises at once
        return super().increment(method, *args, **kwargs)


class _Answered:
    """A peer's answer as requests reads urllib3's response (HTTPAdapter.build_response and
    Response.content): status, reason, headers (a repeated one joined by commas), and the
    body, decoded as urllib3 decodes it (gzip, deflate); cookies through
    `_original_response.msg`, made only when the peer sets one."""

    def __init__(self, answer: Answer):
        self.status = answer.status
        self.reason = answer.reason
        names: dict[str, str] = {}
        headers: dict[str, str] = {}
        for name, value in answer.headers:
            name = names.setdefault(name.lower(), name)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers
        self._body = _decoded(answer.body, names.get("content-encoding") and headers[names["content-encoding"]])
        self._original_response = None
        if "set-cookie" in names:
            message = http.client.HTTPMessage()
            for name, value in answer.headers:
                message[name] = value
            self._original_response = _WithMessage(message)

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        if body := self.read():
            yield body

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        body, self._body = self._body, b""
        return body

    def close(self) -> None:
        pass  # read whole: its connection is back in the pool already


class _WithMessage:
    def __init__(self, message: http.client.HTTPMessage):
        self.msg = message


def _decoded(body: bytes, encoding: str | None) -> bytes:
    if not encoding or not body:
        return body
    encoding = encoding.strip().lower()
    try:
        if encoding == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:  # raw deflate, without the zlib header
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as failed:
        raise requests.exceptions.ContentDecodingError(f"Cannot decode the answer's {encoding} body.") from failed
    return body


class _PeerPool:
    """What HTTPAdapter.send takes urllib3's connection pool for (`urlopen`), over
    common.connections: a call costs a fraction of urllib3's CPU. The adapter's retries
    are those of the connects (urllib3's Retry: _ConnectRetry's rules and backoff); a
    kept-alive connection found gone is handled by common.connections (an idempotent call
    tried once more on a new one; a write's idle connection checked before it is sent)."""

    def __init__(self, url: str, max_idle: int):
        self.connections = ServiceConnections(url, max_idle=max_idle, retry_connect=False)

    def urlopen(
        self, method: str, url: str, *, body: Any, headers: Any, retries: Retry, timeout: Timeout, **_: Any
    ) -> _Answered:
        if isinstance(body, str):
            body = body.encode("latin-1")  # as http.client encodes a str body
        while True:
            try:
                answer = self.connections.request(
                    method,
                    url,
                    headers=headers,
                    body=body or b"",
                    connect_timeout=cast(float, timeout.connect_timeout),
                    read_timeout=cast(float, timeout.read_timeout),
                )
                return _Answered(answer)
            except NewConnectionError as failed:
                error: ConnectTimeoutError = failed
                if isinstance(failed.__cause__, TimeoutError):  # no answer to the connect: as urllib3 tells it
                    error = ConnectTimeoutError(self, f"Connection to {url} timed out.")
                retries = retries.increment(method, url, error=error, _pool=self)  # type: ignore[arg-type]
                retries.sleep()

    def close(self) -> None:
        self.connections.close()


class _PeerAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose calls to a plain-HTTP peer's own origin go through
    _PeerPool (send is HTTPAdapter's own, so the `responses` library still fakes every
    call); a redirect elsewhere, and an https peer (an event subscriber named by its URL:
    certificates checked against certifi's bundle, as requests does), go through urllib3
    as before."""

    def __init__(self, base_url: str, *, pool_maxsize: int, max_retries: Retry):
        super().__init__(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=max_retries)
        scheme, _, rest = base_url.partition("://")
        self.origin = f"{scheme.lower()}://{rest.split('/', 1)[0]}/"
        self.pool = _PeerPool(base_url, pool_maxsize) if scheme.lower() == "http" else None

    def get_connection_with_tls_context(
        self, request: PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        if self.pool is not None and request.url is not None and request.url.startswith(self.origin):
            return self.pool
        return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)

    def close(self) -> None:
        super().close()
        if self.pool is not None:
            self.pool.close()


class ServiceClient:
    def __init__(self, service: str, base_url: str, *, connect_timeout: float, read_timeout: float, retries: int):
        self.service = service
        # The metrics' peer label: a service's name, or "url" for a subscriber named by
        # its URL (EVENT_SUBSCRIBERS), so the labels stay few.
        self.peer_label = service if "://" not in service else "url"
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        # Calls go straight to the service's URL: no HTTP(S)_PROXY or .netrc from the
        # environment (an egress proxy is for the internet, not for a peer), and requests
        # no longer spends CPU reading them on every call.
        self.session.trust_env = False
        # read=False: a read error is raised as it is (a read timeout stays a timeout);
        # read=0 would wrap it in MaxRetryError, which requests turns into a ConnectionError.
        retry = _ConnectRetry(total=retries, connect=retries, read=False, status=0, other=0, backoff_factor=0.1)
        adapter = _PeerAdapter(self.base_url, pool_maxsize=32, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        pass_on: tuple[int, ...] = (),
        headers: dict[str, str | None] | None = None,
        params: Any = None,
        json: Any = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> requests.Response:
        """Call the peer. `token` is the caller's bearer token to pass on; without
        it the call carries this service's own service token. `pass_on`: 5xx statuses
        returned instead of raised, for a caller that passes on the peer's own error
        (which names the service behind the peer that failed). `params`, `json`,
        `timeout` (the client's by default): as requests takes them."""
        headers = headers or {}
        headers.setdefault("Authorization", f"Bearer {token or service_token()}")
        if request_id := current_request_id.get():
            headers.setdefault(REQUEST_ID_HEADER, request_id)
        started = time.perf_counter()
        try:
            response = self.session.send(
                self._prepared(method, f"{self.base_url}{path}", headers, params=params, json=json),
                timeout=self.timeout if timeout is None else timeout,
                allow_redirects=True,
                proxies=dict(self.session.proxies),
                stream=self.session.stream,
                verify=self.session.verify,
                cert=self.session.cert,
            )
        except requests.ConnectTimeout:
            record_call(self.peer_label, "unavailable", time.perf_counter() - started)
            raise ServiceUnavailable(self.service, f"The {self.service} service cannot be reached.") from None
        except requests.Timeout:
            record_call(self.peer_label, "timeout", time.perf_counter() - started)
            raise ServiceTimeout(self.service, f"The {self.service} service did not answer in time.") from None
        except requests.RequestException:
            record_call(self.peer_label, "unavailable", time.perf_counter() - started)
            raise ServiceUnavailable(self.service, f"The {self.service} service is unavailable.") from None
        record_call(self.peer_label, outcome_of_status(response.status_code), time.perf_counter() - started)
        if response.status_code >= 500 and response.status_code not in pass_on:
            raise ServiceUnavailable(self.service, f"The {self.service} service failed ({response.status_code}).")
        return response

    def _prepared(
        self, method: str, url: str, headers: dict[str, str | None], *, params: Any, json: Any
    ) -> PreparedRequest:
        """The request Session.request would send: the session's headers, cookies and
        hooks with the call's. Made here because Session.request merges every setting of
        the call with the session's through checks against typing's runtime protocols,
        slow on Python 3.11, though a call between services sets few of them."""
        cookies = RequestsCookieJar()  # a copy: what the answer sets goes to the session's own
        cookies.update(self.session.cookies)
        merged_headers: CaseInsensitiveDict[str | bytes | None] = CaseInsensitiveDict(self.session.headers)
        merged_headers.update(headers)
        for name in [name for name, value in merged_headers.items() if value is None]:
            del merged_headers[name]  # a header set to None is left out, as Session.request does
        prepared = PreparedRequest()
        prepared.prepare(
            method=method.upper(),
            url=url,
            headers=merged_headers,
            params=params,
            json=json,
            cookies=cookies,
            hooks=self.session.hooks,
        )
        return prepared

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def _client_of(service: str) -> ServiceClient:
    return ServiceClient(
        service,
        settings.SERVICE_URLS[service],
        connect_timeout=settings.SERVICE_CONNECT_TIMEOUT,
        read_timeout=settings.SERVICE_READ_TIMEOUT,
        retries=settings.SERVICE_RETRIES,
    )


clients = PerKey(_client_of)


def client_for(service: str) -> ServiceClient:
    """The process-wide client of one peer service (created on first use)."""
    return clients.get(service)


def conforms(value: Any, shape: Any) -> bool:
    """Whether a decoded JSON value has `shape`: a type (`int` is not a bool), a tuple of
    shapes (any of them; `type(None)` for null), a dict of the keys it must have (others
    may be there too) and their shapes, or a one-item list: a list of that shape."""
    if isinstance(shape, dict):
        return isinstance(value, dict) and all(key in value and conforms(value[key], sub) for key, sub in shape.items())
    if isinstance(shape, list):
        return isinstance(value, list) and all(conforms(item, shape[0]) for item in value)
    if isinstance(shape, tuple):
        return any(conforms(value, option) for option in shape)
    if isinstance(value, bool) and shape is not bool:
        return False
    return isinstance(value, shape)


def peer_body(response: requests.Response, *, service: str, shape: Any) -> Any:
    """The JSON body of a peer's answer, if it has `shape`; else the peer is unavailable."""
    try:
        body = response.json()
        readable = conforms(body, shape)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
        readable = False
    if not readable:
        logger.warning("%s service answered %s with an unexpected body", service, response.status_code)
        raise ServiceUnavailable(service, f"The {service} service gave an answer this service cannot read.")
    return body
