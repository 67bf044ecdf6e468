"""The pages the account emails link to: confirming an email address, choosing a new
password. Each page acts only on a click (a POST with the link's token): mail scanners
open links by themselves, and opening one must change nothing. The gateway counts those
POSTs against its write limit per address, as it does the API's."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from account_pages.clients import customers
from account_pages.forms import NewPasswordForm
from common.errors import DependencyError
from routing import rate_limits


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, f"account_pages/{template}", context, status=status)
    # The link's token stays out of other sites' logs; same-origin, not no-referrer, under which a
    # browser sends the form's Origin as "null" and the CSRF check refuses it.
    response["Referrer-Policy"] = "same-origin"
    return response


def _refused_or_unavailable(request: HttpRequest, template: str, context: dict) -> HttpResponse | None:
    """The page saying the asking was refused for now (429) or customer_service is
    down (503); None to go on."""
    refusal = rate_limits.check(request, None)
    if refusal is not None:
        message = f"Too many tries from your address; try again in {refusal.retry_after} s."
        return _page(request, template, context | {"problem": message}, status=429)
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request: HttpRequest) -> HttpResponse:
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")[:1000]
    context = {"title": "Confirm your email address", "token": token}
    if not token:
        return _page(request, "verify_email.html", context | {"state": "not_valid"}, status=400)
    if request.method != "POST":
        return _page(request, "verify_email.html", context | {"state": "ask"})
    if refused := _refused_or_unavailable(request, "verify_email.html", context | {"state": "ask"}):
        return refused
    try:
        refusal = customers.email_verify(token=token)
    except DependencyError as error:
        return _page(request, "verify_email.html", context | {"state": "ask", "problem": error.message}, status=503)
    if refusal is not None:
        return _page(request, "verify_email.html", context | {"state": "not_valid"}, status=400)
    return _page(request, "verify_email.html", context | {"state": "verified"})


@sensitive_post_parameters("new_password", "repeated")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reset_password(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    uid, token = source.get("uid", "")[:32], source.get("token", "")[:100]
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    context = {"title": "Choose a new password", "uid": uid, "token": token, "form": form}
    if not (uid and token):
        return _page(request, "reset_password.html", context | {"state": "not_valid"}, status=400)
    if request.method != "POST" or not form.is_valid():
        return _page(request, "reset_password.html", context | {"state": "ask"}, status=400 if form.errors else 200)
    if refused := _refused_or_unavailable(request, "reset_password.html", context | {"state": "ask"}):
        return refused
    try:
        refusal = customers.password_reset_confirm(uid=uid, token=token, new_password=form.cleaned_data["new_password"])
    except DependencyError as error:
        return _page(request, "reset_password.html", context | {"state": "ask", "problem": error.message}, status=503)
    if refusal is not None and refusal.code != "link_not_valid":
        for message in refusal.fields.get("new_password", [refusal.message]):
            form.add_error("new_password", message)
        return _page(request, "reset_password.html", context | {"state": "ask"}, status=400)
    if refusal is not None:
        return _page(request, "reset_password.html", context | {"state": "not_valid"}, status=400)
    return _page(request, "reset_password.html", context | {"state": "done"})
