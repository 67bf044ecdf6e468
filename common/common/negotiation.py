"""DRF's content negotiation, reading the Accept header without Django's `request.headers`,
and choosing once for each Accept header, format and list of renderers.

DRF reads the header through `request.headers`, which builds a mapping of every header
the request carries (each name turned from its WSGI form) for the one it wants; its
value is the same one in `request.META`. Its choice depends on nothing else than the
header, the format asked for (`?format=`, or the URL's suffix) and the renderers' media
types and formats, and a process hears the same few Accept headers again and again, so
the choice is kept (_CHOICES) rather than the header parsed and matched at each request.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

# Accept headers longer than this are not kept: a client's own make is negotiated anew.
_KEPT_ACCEPT_LENGTH = 256
_KEPT_CHOICES = 256

_Key = tuple[str | None, str | None, tuple[tuple[type, str, str], ...]]
# (format, Accept header, each renderer's class, media type and format) -> the chosen
# renderer's index and the media type accepted.
_CHOICES: dict[_Key, tuple[int, str]] = {}


class _AcceptHeader:
    """What DefaultContentNegotiation.get_accept_list reads of a request: its `headers`,
    holding the Accept header alone."""

    __slots__ = ("headers",)

    def __init__(self, request: Any) -> None:
        accept = request.META.get("HTTP_ACCEPT")
        self.headers = {} if accept is None else {"accept": accept}


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)  # a list from DRF's views
        meta = request.META
        accept = meta.get("HTTP_ACCEPT")
        if accept is not None and len(accept) > _KEPT_ACCEPT_LENGTH:
            return self._chosen_anew(request, renderers, format_suffix)
        # As DRF reads the format; without a query string, without parsing one.
        fmt = format_suffix or (
            request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) if meta.get("QUERY_STRING") else None
        )
        key = (fmt, accept, tuple((type(r), r.media_type, r.format) for r in renderers))
        chosen = _CHOICES.get(key)
        if chosen is None:
            renderer, media_type = self._chosen_anew(request, renderers, format_suffix)  # a refusal raises, never kept
            if len(_CHOICES) >= _KEPT_CHOICES:
                _CHOICES.clear()
            chosen = _CHOICES[key] = (next(i for i, r in enumerate(renderers) if r is renderer), media_type)
        index, media_type = chosen
        return renderers[index], media_type

    def _chosen_anew(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None
    ) -> tuple[BaseRenderer, str]:
        chosen: tuple[BaseRenderer, str] = super().select_renderer(request, renderers, format_suffix)
        return chosen

    def get_accept_list(self, request: Any) -> list[str]:
        accepted: list[str] = super().get_accept_list(_AcceptHeader(request))  # type: ignore[arg-type]  # reads .headers only
        return accepted
