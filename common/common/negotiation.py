"""DRF's content negotiation, reading the Accept header without Django's `request.headers`.

DRF reads the header through `request.headers`, which builds a mapping of every header
the request carries (each name turned from its WSGI form) for the one it wants; its
value is the same one in `request.META`.
"""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class _AcceptHeader:
    """What DefaultContentNegotiation.get_accept_list reads of a request: its `headers`,
    holding the Accept header alone."""

    __slots__ = ("headers",)

    def __init__(self, request: Any) -> None:
        accept = request.META.get("HTTP_ACCEPT")
        self.headers = {} if accept is None else {"accept": accept}


class ContentNegotiation(DefaultContentNegotiation):
    def get_accept_list(self, request: Any) -> list[str]:
        accepted: list[str] = super().get_accept_list(_AcceptHeader(request))  # type: ignore[arg-type]  # reads .headers only
        return accepted
