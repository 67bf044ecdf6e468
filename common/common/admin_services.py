"""Staff tasks in the admin go through the services layer, as the API's do: the same
rules, events, stock effects and idempotency, never a raw field edit.

- `admin_caller(request)`: the `Caller` a service is given for the staff member at
  the admin ("admin <username>" in histories and transactions).
- `ServiceAdminMixin`: the change form saves and the delete page deletes by calling
  the admin's `service_save` / `service_delete`; what the service refuses (a taken
  name, a capacity below the stock, a category still in use, a peer down) is shown on
  the form, next to the field it names, or as an error message: never a 500.
- `act_on_each(...)`: an admin action or button that calls a service once per row,
  with one message per row: what was done, or that it was refused and why.
- `ObjectButtonsMixin`: buttons on an object's page for the service calls allowed for
  it now (an order's moves, a refund), each a POST to `<id>/button/`.
- `RecordAdminMixin`: records, not settings (orders, payments, carts): no add, no
  delete, every field read-only; they change through actions and buttons only.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.text import capfirst
from rest_framework.exceptions import APIException

from common.auth import Caller

logger = logging.getLogger(__name__)

REFUSAL_ATTRIBUTE = "_admin_refusal"  # on the request: what the service refused, for the form shown again


@dataclass(frozen=True)
class AdminCaller(Caller):
    """Staff acting in a service's admin: privileged as staff, named by the username
    (the local admin user's id is not an account id, so user_id stays None)."""

    username: str = ""

    @property
    def label(self) -> str:
        return f"admin {self.username}"[:150]  # the histories' columns hold 150 characters


def admin_caller(request: HttpRequest) -> Caller:
    return AdminCaller(user_id=None, is_staff=True, username=request.user.get_username())


def _texts(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _texts(value)]
    if isinstance(detail, list | tuple):
        return [text for value in detail for text in _texts(value)]
    return [str(detail)]


def refusal_message(error: APIException) -> str:
    """What a service's refusal says, in one line (an ApiError's message; DRF's own
    errors, such as a ValidationError naming fields, flattened)."""
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return message
    detail = error.detail
    if isinstance(detail, dict):
        return " ".join(f"{field}: {' '.join(_texts(value))}" for field, value in detail.items())
    return " ".join(_texts(detail))


def refusal_field_errors(error: APIException) -> dict[str, list[str]]:
    """The refusal's messages per field, where it names fields ({"email": ["..."]})."""
    details = getattr(error, "details", None)
    if not isinstance(details, dict):
        detail = error.detail
        details = detail if isinstance(detail, dict) else {}
    return {
        str(field): [str(text) for text in value]
        for field, value in details.items()
        if isinstance(value, list) and value and all(isinstance(text, str) for text in value)
    }


class Refused(Exception):
    """A service refused what the admin asked; carries its error out of the view's transaction."""

    def __init__(self, error: APIException):
        super().__init__(refusal_message(error))
        self.error = error


class _RefusalForm:
    """Mixed into the admin's form when it is shown again after a refusal: the refusal
    becomes the form's errors, next to the fields it names."""

    refusal: ClassVar[APIException]
    refusal_fields: ClassVar[dict[str, str]] = {}

    def clean(self) -> Any:
        cleaned = super().clean()  # type: ignore[misc]  # mixed into a ModelForm
        form: Any = self
        by_field = refusal_field_errors(self.refusal)
        placed = False
        for field, texts in by_field.items():
            name = self.refusal_fields.get(field, field)
            if name in form.fields and name not in form.errors:
                form.add_error(name, texts)
                placed = True
        if not placed:
            form.add_error(None, refusal_message(self.refusal))
        return cleaned


class ServiceAdminMixin:
    """For a ModelAdmin (before admin.ModelAdmin in the bases) whose writes are service
    calls. Implement `service_save(request, obj, form, change)` (returning the saved
    instance) and `service_delete(request, obj)`; a service's refusal (any DRF
    APIException: common.errors.ApiError, ValidationError, PermissionDenied) is shown
    on the form, or as a message for a deletion.

    `refusal_fields` maps a field a service names to the form's ("author_id": "author").
    `outer_transaction = False` runs the change form without Django's transaction around
    it, for a service that calls another service before its own transaction (holding
    the database while a peer answers is what that service avoids)."""

    refusal_fields: ClassVar[dict[str, str]] = {}
    outer_transaction: ClassVar[bool] = True

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> Model:
        raise NotImplementedError

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError

    # Saving

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = self.service_save(request, obj, form, change)
        except APIException as error:
            raise Refused(error) from error
        if saved is not obj:  # the admin goes on with `obj` (its log entry, its redirect)
            for field in obj._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # `change` by name: UserAdmin.get_form takes it among its keywords.
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form
        attributes = {"refusal": refusal, "refusal_fields": self.refusal_fields, "__module__": form.__module__}
        return type(form.__name__, (_RefusalForm, form), attributes)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return self._service_changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            logger.info("admin: %s refused for %s: %s", self._model_label(), request.user, refused)
            # Shown again, the form carries the refusal as its errors (get_form), with
            # what was typed; nothing was saved (the service refused in its transaction).
            setattr(request, REFUSAL_ATTRIBUTE, refused.error)
            return self._service_changeform_view(request, object_id, form_url, extra_context)

    def _service_changeform_view(
        self, request: HttpRequest, object_id: str | None, form_url: str, extra_context: Any
    ) -> HttpResponse:
        if self.outer_transaction:
            response: HttpResponse = super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
            return response
        # Django's changeform_view is this inside transaction.atomic() (for a POST).
        response = self._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[attr-defined]
        return response

    # Deleting

    def log_deletions(self, request: HttpRequest, queryset: Any) -> list[Any]:
        """Nothing here: each deletion is logged with its service call (_delete_one),
        so a refused one is not logged as deleted."""
        return []

    def _delete_one(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():  # the log entry and the deletion, or neither
            super().log_deletions(request, [obj])  # type: ignore[misc]
            try:
                self.service_delete(request, obj)
            except APIException as error:
                raise Refused(error) from error

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._delete_one(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        rows = list(queryset)
        refused = 0
        for obj in rows:
            shown = str(obj)
            try:
                self._delete_one(request, obj)
            except Refused as refusal:
                refused += 1
                self.message_user(request, f"{shown}: not deleted: {refusal}", messages.ERROR)  # type: ignore[attr-defined]
        if refused:  # Django's "Successfully deleted N" would count the refused ones too
            if deleted := len(rows) - refused:
                self.message_user(request, f"{deleted} deleted.", messages.SUCCESS)  # type: ignore[attr-defined]
            raise _BulkRefused

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            response: HttpResponse = super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
            return response
        except Refused as refused:
            self.message_user(request, f"Not deleted: {refused}", messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(self._admin_url("change", quote(unquote(object_id))))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        try:
            response: HttpResponse = super().changelist_view(request, extra_context)  # type: ignore[misc]
            return response
        except _BulkRefused:
            return HttpResponseRedirect(request.get_full_path())

    def _model_label(self) -> str:
        return str(self.model._meta.label)  # type: ignore[attr-defined]

    def _admin_url(self, view: str, *args: Any) -> str:
        opts = self.model._meta  # type: ignore[attr-defined]
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}", args=args)  # type: ignore[attr-defined]


class _BulkRefused(Exception):
    """Some of a bulk deletion was refused (each said in its own message)."""


def act_on_each(
    model_admin: Any,
    request: HttpRequest,
    rows: Iterable[Any],
    do: Callable[[Any], str],
    *,
    name: Callable[[Any], str] = str,
) -> tuple[int, int]:
    """Call `do(row)` (a service call; it returns what it did, "shipped") for each row,
    each in its own service transaction, with one message per row: "Order 12: shipped",
    or "Order 13: refused: <the service's reason>". Returns (done, refused)."""
    done = refused = 0
    for row in rows:
        try:
            outcome = do(row)
        except APIException as error:
            refused += 1
            model_admin.message_user(request, f"{name(row)}: refused: {refusal_message(error)}", messages.ERROR)
        else:
            done += 1
            model_admin.message_user(request, f"{name(row)}: {outcome}", messages.SUCCESS)
    return done, refused


@dataclass(frozen=True)
class Button:
    name: str  # what the POST carries
    label: str  # what staff read


class ObjectButtonsMixin:
    """Buttons on an object's change page, one per service call allowed for it now:
    implement `object_buttons(request, obj)` (the buttons to show) and
    `press_button(request, obj, name)` (the service call; returns what it did, raises
    its refusal). `button_names` lists every name a button may have: a stale page's
    button (the order moved meanwhile) still goes to the service, which refuses it
    with its reason."""

    change_form_template: Any = "admin/common/change_form_buttons.html"
    button_names: ClassVar[tuple[str, ...]] = ()

    def object_buttons(self, request: HttpRequest, obj: Any) -> list[Button]:
        return []

    def press_button(self, request: HttpRequest, obj: Any, name: str) -> str:
        raise NotImplementedError

    def row_name(self, obj: Any) -> str:
        """How a message names the object: "Order 12"."""
        return f"{capfirst(self.model._meta.verbose_name)} {obj.pk}"  # type: ignore[attr-defined]

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta  # type: ignore[attr-defined]
        button = path(
            "<path:object_id>/button/",
            self.admin_site.admin_view(self.button_view),  # type: ignore[attr-defined]
            name=f"{opts.app_label}_{opts.model_name}_button",
        )
        return [button, *super().get_urls()]  # type: ignore[misc]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            context["object_buttons"] = self.object_buttons(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def button_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        model_admin: Any = self
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None:
            model_admin.message_user(
                request, f"There is no {model_admin.opts.verbose_name} {object_id}.", messages.ERROR
            )
            return HttpResponseRedirect(reverse(f"{model_admin.admin_site.name}:{_info(model_admin)}_changelist"))
        if not model_admin.has_change_permission(request, obj):
            raise PermissionDenied
        name = request.POST.get("button", "")
        if name not in self.button_names:
            model_admin.message_user(request, f"There is no button {name!r} here.", messages.ERROR)
        else:

            def press(row: Any) -> str:
                return self.press_button(request, row, name)

            act_on_each(model_admin, request, [obj], press, name=self.row_name)
        return HttpResponseRedirect(
            reverse(f"{model_admin.admin_site.name}:{_info(model_admin)}_change", args=[quote(obj.pk)])
        )


def _info(model_admin: Any) -> str:
    return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"


class RecordAdminMixin:
    """Records, not settings: no add, no delete, every field read-only, no Save button;
    what may change, changes through the admin's actions and buttons (services)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        fields = [field.name for field in self.model._meta.concrete_fields]  # type: ignore[attr-defined]
        return declared + [field for field in fields if field not in declared]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # nothing here is saved by hand
        context = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        context |= extra_context or {}
        response: HttpResponse = super().changeform_view(request, object_id, form_url, context)  # type: ignore[misc]
        return response
