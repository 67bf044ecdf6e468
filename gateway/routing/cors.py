"""django-cors-headers' middleware, minus its cost on a request no browser sent
cross-origin.

For a request without an Origin header (other than OPTIONS, which may be a preflight),
the parent adds `Vary: origin` to the answer and nothing else, but finds that out by
reading the Origin through `request.headers`, a mapping Django builds of every header of
the request: on a forwarded read, the most CPU any middleware of the gateway spends
(docs/performance.md). Here the Origin is looked for in META; with one, or for OPTIONS,
the parent does everything as before.
"""

from collections.abc import Awaitable

from corsheaders.middleware import CorsMiddleware as CorsHeadersMiddleware
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers


class CorsMiddleware(CorsHeadersMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode or request.method == "OPTIONS" or "HTTP_ORIGIN" in request.META:
            return super().__call__(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # as the parent's: a sync chain (WSGI)
        if self.is_enabled(request):
            patch_vary_headers(response, ("origin",))
        return response
