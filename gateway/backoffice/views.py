"""The back office: one entrance to every service's Django admin, at the gateway's /admin/.

- /admin/login/ checks a staff login with customer_service and keeps its tokens in a
  cookie (backoffice.session); /admin/logout/ drops it.
- /admin/ links every service's admin, with each one's health.
- /admin/<service>/<rest> is the service's admin: forwarded to the service as /<rest>
  with X-Forwarded-Prefix and the staff member's access token as a bearer token
  (common.backoffice does the rest in the service).
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from backoffice import session as staff_session
from backoffice.clients import customers
from backoffice.forms import LoginForm
from common.backoffice import staff_claims
from common.errors import DependencyError
from common.registry import SERVICES
from routing import rate_limits
from routing.probes import PEERS, probe_all
from routing.proxy import forward, upstream_target

HOME = "/admin/"
LOGIN = "/admin/login/"
PREFIX_HEADER = "X-Forwarded-Prefix"


def _login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    response = HttpResponseRedirect(f"{LOGIN}?{urlencode({'next': request.get_full_path()})}")
    if staff_session.has_cookie(request):
        staff_session.drop(response)  # a login that has ended
    return response


def _unavailable(request: HttpRequest, message: str, *, status: int = 503) -> HttpResponse:
    return render(request, "backoffice/unavailable.html", {"title": "Unavailable", "message": message}, status=status)


StaffView = Callable[..., HttpResponseBase]


def staff_only(view: StaffView) -> StaffView:
    """The view runs for a staff member logged in here (`staff` passed to it); anyone
    else is sent to the login, which comes back to the page asked for."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            staff = staff_session.current(request)
        except DependencyError as error:
            return _unavailable(request, f"Your login cannot be renewed now: {error.message}")
        if staff is None:
            return _login_redirect(request)
        response = view(request, *args, staff=staff, **kwargs)
        if staff.renewed:
            staff_session.store(response, request, access=staff.access, refresh=staff.refresh)
        return response

    return wrapper


@never_cache
@require_GET
@staff_only
def home(request: HttpRequest, *, staff: staff_session.StaffSession) -> HttpResponse:
    """Every service's admin (the registry's services), with its health."""
    health = probe_all(request.request_id)  # type: ignore[attr-defined]  # set by common.request_id
    services = [
        {
            "name": name,
            "folder": SERVICES[name].folder,
            "owns": SERVICES[name].owns,
            "url": f"{HOME}{name}/",
            **health[name],
        }
        for name in PEERS
    ]
    context = {"title": "Back office", "staff": staff, "services": services}
    return render(request, "backoffice/home.html", context)


def _next_page(request: HttpRequest, wanted: str | None) -> str:
    """Where a login goes: a page of the back office on this host, else its home."""
    if (
        wanted
        and wanted.startswith(HOME)
        and not wanted.startswith((LOGIN, "/admin/logout/"))
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return wanted
    return HOME


def _logged_in(request: HttpRequest) -> staff_session.StaffSession | None:
    """Who is logged in here, for the login and logout pages to say (not renewed)."""
    access, _ = staff_session.stored_tokens(request) or ("", "")
    claims = staff_claims(access) if access else None
    return staff_session.StaffSession(access=access, refresh="", claims=claims) if claims else None


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login(request: HttpRequest) -> HttpResponseBase:
    """A staff login of customer_service: its tokens in the back office's cookie."""
    wanted = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    next_page = _next_page(request, wanted)
    logged_in_as = _logged_in(request)
    if request.method != "POST" and logged_in_as and not wanted:
        return HttpResponseRedirect(HOME)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        refusal = rate_limits.check(request, None)
        if refusal is not None:
            form.add_error(None, f"Too many logins from your address; try again in {refusal.retry_after} s.")
            status = 429
        elif form.is_valid():
            try:
                tokens = customers.tokens_for_login(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    address=request.META.get("REMOTE_ADDR", ""),
                )
            except customers.LoginRefused as refused:
                if refused.status == 429:
                    wait = f" in {refused.retry_after} s" if refused.retry_after else " later"
                    form.add_error(None, f"Too many failed logins; try again{wait}.")
                    status = 429
                else:
                    form.add_error(None, "Please enter the username and password of a staff account.")
            except DependencyError as error:
                form.add_error(None, f"Logins cannot be checked now: {error.message}")
                status = 503
            else:
                if staff_claims(tokens.access) is None:
                    form.add_error(None, "This account is not a staff account.")
                    status = 403
                else:
                    response = HttpResponseRedirect(next_page)
                    staff_session.store(response, request, access=tokens.access, refresh=tokens.refresh)
                    return response
    context = {
        "title": "Log in",
        "form": form,
        "next": next_page if wanted else "",
        "logged_in_as": logged_in_as,
        "logged_out": request.GET.get("logged_out") == "1",
    }
    return render(request, "backoffice/login.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def logout(request: HttpRequest) -> HttpResponseBase:
    """POST (with the CSRF token): drops the login, which logs out of every service's
    admin at once. GET (where a service's own "Log out" sends the user): asks first."""
    if request.method == "POST":
        response = HttpResponseRedirect(f"{LOGIN}?logged_out=1")
        staff_session.drop(response)
        return response
    context = {"title": "Log out", "logged_in_as": _logged_in(request)}
    return render(request, "backoffice/logout.html", context)


def _service_cookies(request: HttpRequest, service: str) -> str | None:
    """The Cookie header with the service's own cookies only (book_sessionid,
    book_csrftoken, book_messages): never the back office's, nor another service's."""
    own = f"{SERVICES[service].name}_"
    kept = [
        part.strip()
        for part in request.META.get("HTTP_COOKIE", "").split(";")
        if part.strip().startswith(own) and "=" in part
    ]
    return "; ".join(kept) or None


def _target(request: HttpRequest, prefix: str) -> str:
    """The path and query the service is asked for: the client's, less the prefix
    (routing.proxy.upstream_target)."""
    return upstream_target(request)[len(prefix) :]


@csrf_exempt  # the service checks the CSRF token of its own forms
def admin_forward(request: HttpRequest, service: str, rest: str) -> HttpResponseBase:
    if service not in PEERS:
        raise Http404(f"There is no service named {service!r}.")
    return _forward_as_staff(request, service)


@never_cache
@staff_only
def _forward_as_staff(request: HttpRequest, service: str, *, staff: staff_session.StaffSession) -> HttpResponse:
    prefix = f"{HOME}{service}"
    request.access_log_extra = {"service": service, "user": str(staff.user_id)}  # type: ignore[attr-defined]  # read by common.access_log
    response = forward(
        request,
        service,
        body=request.body,
        target=_target(request, prefix),
        headers={
            "Authorization": f"Bearer {staff.access}",
            PREFIX_HEADER: prefix,
            "Cookie": _service_cookies(request, service),
        },
    )
    if response.status_code in (503, 504) and response.get("Content-Type", "").startswith("application/json"):
        # The service (or the gateway's call to it) failed: a page, not JSON, in the browser.
        try:
            message = json.loads(response.content)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = f"The {service} service is unavailable."
        return _unavailable(request, message, status=response.status_code)
    return response
