"""People and books by name in the admin: a page that shows user ids or product ids
also shows the username or title, from one batched read per peer service per page.

Names come from a `NameSource`: a peer and its batched read. The two every admin needs,
USERNAMES (accounts, from customer_service's GET /api/accounts/?ids=) and BOOK_TITLES
(books, from book_service's GET /api/books/?ids=), are defined here once, the same read
for the five services that show them; a service declares the columns that show them:

    class OrderAdmin(NamesAdminMixin, admin.ModelAdmin):
        user = name_column("user_id", USERNAMES, description="customer")
        list_display = ["id", "user", ...]
        readonly_fields = ["user", ...]

Once the list page has chosen its rows (`get_changelist_instance`), or the change page
has its object and inline rows (`render_change_form`), the mixin collects the ids of
every name column shown, asks each peer once for all of them (`PageNames`, kept on the
request), and hands the answer to the rows. A column then writes `12 · Dế Mèn phiêu
lưu ký`; an id the peer does not have, `12 (not in book_service)`; and when the peer
is down, slow or answers nonsense, the id alone with a note, `12 (book_service
unavailable)`, and one warning at the top of the page: never a 500.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest

from common.batch import batch_read
from common.errors import DependencyError
from common.registry import SERVICES

logger = logging.getLogger(__name__)

REQUEST_ATTRIBUTE = "_admin_names"  # the page's PageNames, on the request
ROW_ATTRIBUTE = "_admin_names"  # the same PageNames, on each row shown


class NamesFetch(Protocol):
    def __call__(self, *, ids: Sequence[int]) -> Mapping[int, str]: ...


@dataclass(frozen=True, eq=False)
class NameSource:
    """Where the names behind one kind of id come from: a peer service and one batched
    read in that service's client module, `fetch(ids=...) -> {id: name}` for the ids it has
    (raising common.errors.DependencyError when the peer cannot say)."""

    service: str  # as common.registry names it: "book", "customer"
    thing: str  # what an id names, for the notes: "book", "account"
    fetch: NamesFetch

    @property
    def folder(self) -> str:
        return SERVICES[self.service].folder


def names_read(*, service: str, path: str, field: str) -> NamesFetch:
    """A peer's batch read (common.batch.batch_read: one call per 100 ids, a peer that
    cannot say raises DependencyError) as {id: the item's `field`}."""

    def fetch(*, ids: Sequence[int]) -> Mapping[int, str]:
        found = batch_read(service=service, path=path, ids=ids, item_shape={"id": int, field: str})
        return {item["id"]: item[field] for item in found}

    return fetch


USERNAMES = NameSource(
    service="customer", thing="account", fetch=names_read(service="customer", path="/api/accounts/", field="username")
)
BOOK_TITLES = NameSource(
    service="book", thing="book", fetch=names_read(service="book", path="/api/books/", field="title")
)


@dataclass(frozen=True)
class NameField:
    """A model field holding ids of `source`; `when(row)` says whether a row's id is one
    (a stock item's product id names a book only for books)."""

    field: str
    source: NameSource
    when: Callable[[Any], bool] | None = None

    def id_of(self, row: Any) -> int | None:
        if self.when is not None and not self.when(row):
            return None
        value = getattr(row, self.field, None)
        return value if isinstance(value, int) else None


class PageNames:
    """The names one admin page shows: ids wanted per source, then one read per source
    (MAX_BATCH_IDS ids a call: one call for any page of the admin's 100 rows)."""

    def __init__(self) -> None:
        self._wanted: dict[NameSource, set[int]] = defaultdict(set)
        self._found: dict[NameSource, dict[int, str]] = defaultdict(dict)
        self._asked: dict[NameSource, set[int]] = defaultdict(set)
        self.down: dict[NameSource, str] = {}  # source -> why it could not say

    def want(self, source: NameSource, ids: Iterable[int | None]) -> None:
        self._wanted[source].update(i for i in ids if i is not None)

    def resolve(self) -> None:
        """Ask each source for the ids not asked yet: one batched read per source."""
        for source, wanted in self._wanted.items():
            missing = wanted - self._asked[source]
            if not missing or source in self.down:
                continue
            self._asked[source] |= missing
            try:
                self._found[source].update(source.fetch(ids=sorted(missing)))
            except DependencyError as error:
                logger.warning("admin: %s names not shown: %s", source.thing, error.message)
                self.down[source] = error.message

    def label(self, source: NameSource, value: int | None) -> str:
        if value is None:
            return "-"
        if value not in self._asked[source]:  # a row the page did not collect: ask now
            self.want(source, [value])
            self.resolve()
        if source in self.down:
            return f"{value} ({source.folder} unavailable)"
        name = self._found[source].get(value)
        if name is None:
            return f"{value} (not in {source.folder})"
        return f"{value} · {name}"


def page_names(request: HttpRequest) -> PageNames:
    names = getattr(request, REQUEST_ATTRIBUTE, None)
    if names is None:
        names = PageNames()
        setattr(request, REQUEST_ATTRIBUTE, names)
    return names


class NameLabel:
    """A name for a label (a list filter's choice, say) that is written when the page is
    rendered, after the page's one read per source: its id is wanted at once."""

    def __init__(self, request: HttpRequest, source: NameSource, value: int):
        self.names, self.source, self.value = page_names(request), source, value
        self.names.want(source, [value])

    def __str__(self) -> str:
        return self.names.label(self.source, self.value)


def name_column(
    field: str,
    source: NameSource,
    *,
    description: str,
    when: Callable[[Any], bool] | None = None,
) -> Callable[[Any, Any], str]:
    """A column (for list_display or readonly_fields) showing the id in `field` with its
    name from `source`; sorted by the id. On a row of no page (a page that did not
    collect names) it shows the id alone."""
    name_field = NameField(field, source, when)

    def column(model_admin: Any, row: Any) -> str:
        value = getattr(row, field, None)
        names: PageNames | None = getattr(row, ROW_ATTRIBUTE, None)
        if names is None or (when is not None and not when(row)):
            return "-" if value is None else str(value)
        return names.label(source, value)

    column.name_field = name_field  # type: ignore[attr-defined]  # read by NamesAdminMixin
    return admin.display(description=description, ordering=field)(column)


def name_fields(model_admin: Any, names: Iterable[Any]) -> list[NameField]:
    """The name columns among `names` (list_display or readonly_fields entries)."""
    found = []
    for name in names:
        column = getattr(type(model_admin), name, None) if isinstance(name, str) else name
        if (name_field := getattr(column, "name_field", None)) is not None:
            found.append(name_field)
    return found


def collect(names: PageNames, rows: Iterable[Model], fields: list[NameField]) -> None:
    """Mark `rows` as rows of the page and want the ids of `fields` on them."""
    for row in rows:
        setattr(row, ROW_ATTRIBUTE, names)
        for name_field in fields:
            names.want(name_field.source, [name_field.id_of(row)])


def resolve_and_warn(request: HttpRequest, names: PageNames) -> None:
    names.resolve()
    for source in names.down:
        messages.warning(
            request, f"{source.folder} is unavailable: {source.thing}s are shown by id only. Reload to try again."
        )


class NamesAdminMixin:
    """For a ModelAdmin (before admin.ModelAdmin in the bases) with name columns; its
    inlines' name columns (in their readonly_fields) are served on the change page too."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]  # a mixin of ModelAdmin
        # A POST is an action (then a redirect): its rows are not shown.
        fields = name_fields(self, changelist.list_display)
        if request.method == "GET" and fields:
            names = page_names(request)
            # Iterating the page's queryset fills its cache: the rows the template shows.
            collect(names, changelist.result_list, fields)
            resolve_and_warn(request, names)
        return changelist

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> Any:
        if obj is not None:
            names = page_names(request)
            collect(names, [obj], name_fields(self, self.get_readonly_fields(request, obj)))  # type: ignore[attr-defined]
            for inline_formset in context.get("inline_admin_formsets", []):
                inline = inline_formset.opts
                rows = [form.instance for form in inline_formset.formset.initial_forms]
                collect(names, rows, name_fields(inline, inline.get_readonly_fields(request, obj)))
            resolve_and_warn(request, names)
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]
