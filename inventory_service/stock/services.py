"""Writes to warehouses, stock and reservations: one transaction each.

Exactness under concurrency: every write first locks the warehouse row
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction is BEGIN
IMMEDIATE, so writers already take turns). Checks of capacity and stock and the
changes they allow therefore happen with no other writer in between, and all
writers take their locks in the same order (warehouse, then stock rows), so they
cannot deadlock. The updates are conditional as well (`available >= n`) and the
database refuses negative stock, so a bug here fails loudly instead of overselling.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from common.db import create_unless_present
from common.errors import Conflict, NotFound
from common.outbox.publisher import publish
from stock.clients import books
from stock.errors import StockErrorCode
from stock.models import CAPACITY_FIELDS, ProductType, Reservation, ReservationLine, StockItem, Warehouse
from stock.selectors import stock_item_get, type_usage, warehouse_get_default, warehouse_usage

logger = logging.getLogger(__name__)

DEFAULT_WAREHOUSE_NAME = "Main warehouse"
DEFAULT_CAPACITIES = {"book_quantity": 10_000, "clothes_quantity": 5_000, "electronic_quantity": 2_000}


def _require_active(warehouse: Warehouse) -> None:
    if warehouse.status != Warehouse.Status.ACTIVE:
        raise Conflict(
            f"The warehouse is {warehouse.status}; it takes in and reserves stock only when active.",
            code=StockErrorCode.WAREHOUSE_NOT_ACTIVE,
            details={"status": warehouse.status},
        )


@transaction.atomic
def warehouse_create(
    *,
    address: str = "",
    status: str = Warehouse.Status.ACTIVE,
    book_quantity: int = DEFAULT_CAPACITIES["book_quantity"],
    clothes_quantity: int = DEFAULT_CAPACITIES["clothes_quantity"],
    electronic_quantity: int = DEFAULT_CAPACITIES["electronic_quantity"],
) -> Warehouse:
    """8.1: the default warehouse, with DEFAULT_CAPACITIES unless given."""

    def exists(warehouse_id: int | None) -> Conflict:
        return Conflict(
            "The default warehouse already exists; change it with PATCH /api/warehouse/.",
            code=StockErrorCode.WAREHOUSE_EXISTS,
            details={"warehouse_id": warehouse_id},
        )

    if existing := Warehouse.objects.filter(is_default=True).first():
        raise exists(existing.id)
    try:
        with transaction.atomic():
            return Warehouse.objects.create(
                name=DEFAULT_WAREHOUSE_NAME,
                is_default=True,
                address=address,
                status=status,
                book_quantity=book_quantity,
                clothes_quantity=clothes_quantity,
                electronic_quantity=electronic_quantity,
            )
    except IntegrityError:  # a concurrent create won the race
        raise exists(Warehouse.objects.filter(is_default=True).values_list("id", flat=True).first()) from None


@transaction.atomic
def warehouse_update(
    *,
    address: str | None = None,
    status: str | None = None,
    book_quantity: int | None = None,
    clothes_quantity: int | None = None,
    electronic_quantity: int | None = None,
) -> Warehouse:
    """8.2: any of address, status and the capacities (None: unchanged); a capacity
    below the units already on the shelves (available and reserved) is a 409."""
    given: dict[str, Any] = {
        "address": address,
        "status": status,
        "book_quantity": book_quantity,
        "clothes_quantity": clothes_quantity,
        "electronic_quantity": electronic_quantity,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    warehouse = warehouse_get_default(for_update=True)
    usage = warehouse_usage(warehouse=warehouse)
    for product_type, field in CAPACITY_FIELDS.items():
        if field in changes and changes[field] < usage[product_type].used:
            used = usage[product_type].used
            message = f"The warehouse holds {used} {product_type} units; the capacity cannot be below that."
            raise Conflict(message, code=StockErrorCode.CAPACITY_BELOW_STOCK, details={field: [message], "used": used})
    for field, value in changes.items():
        setattr(warehouse, field, value)
    warehouse.save()
    return warehouse


def stock_add(*, product_id: int, quantity: int, product_type: str = ProductType.BOOK) -> StockItem:
    """8.3: puts units of a product on the shelves of the default warehouse.

    A book must exist in book_service. That call is made before the transaction,
    so the warehouse is never locked while waiting for another service; the
    rules that depend on the warehouse are checked again under the lock.
    """
    _require_active(warehouse_get_default())
    if product_type == ProductType.BOOK and not books.book_exists(book_id=product_id):
        raise ValidationError({"product_id": [f"There is no book with id {product_id}."]})
    return _stock_add_locked(product_id=product_id, quantity=quantity, product_type=product_type)


@transaction.atomic
def _stock_add_locked(*, product_id: int, quantity: int, product_type: str) -> StockItem:
    warehouse = warehouse_get_default(for_update=True)
    _require_active(warehouse)
    usage = type_usage(warehouse=warehouse, product_type=product_type)
    if quantity > usage.free:
        raise Conflict(
            f"Only {usage.free} {product_type} units fit in the warehouse; {quantity} were given.",
            code=StockErrorCode.CAPACITY_EXCEEDED,
            details={
                "product_type": product_type,
                "capacity": usage.capacity,
                "free": usage.free,
                "requested": quantity,
            },
        )
    item, _ = StockItem.objects.get_or_create(warehouse=warehouse, product_type=product_type, product_id=product_id)
    now = timezone.now()
    StockItem.objects.filter(pk=item.pk).update(available=F("available") + quantity, updated_at=now)
    _available_set(item, item.available + quantity, at=now)
    item.refresh_from_db()
    return item


def _available_set(item: StockItem, available: int, *, at) -> None:
    """Records on `item` the units for sale just written to its row and, when a book's
    reach 0 or leave it, tells book_service (stock.availability_changed, in this
    transaction): the catalog keeps each book's in_stock from these rather than asking
    here on every read. Every writer holds the warehouse lock, so `item.available` is
    the row's, and `at` (the row's updated_at) orders the words."""
    if item.product_type == ProductType.BOOK and (item.available > 0) != (available > 0):
        payload = {"product_id": item.product_id, "in_stock": available > 0, "changed_at": at.isoformat()}
        publish("stock.availability_changed", payload, key=f"book:{item.product_id}")
    item.available = available


def _insufficient(item: StockItem | None, product_type: str, product_id: int, requested: int) -> dict:
    return {
        "product_id": product_id,
        "product_type": product_type,
        "requested": requested,
        "available": item.available if item else 0,
    }


def _take(item: StockItem, quantity: int, *, reserve: bool) -> None:
    """Takes `quantity` available units off `item`, into reserved if `reserve`. The
    update is conditional: it changes nothing if the units are not there."""
    now = timezone.now()
    changes = {"available": F("available") - quantity, "updated_at": now}
    if reserve:
        changes["reserved"] = F("reserved") + quantity
    taken = StockItem.objects.filter(pk=item.pk, available__gte=quantity).update(**changes)
    if taken != 1:  # the warehouse lock makes this unreachable; never oversell if it is not
        raise Conflict(
            "The stock changed while this request was served; try again.",
            code=StockErrorCode.INSUFFICIENT_STOCK,
            details={"items": [_insufficient(item, item.product_type, item.product_id, quantity)]},
        )
    _available_set(item, item.available - quantity, at=now)


@transaction.atomic
def stock_remove(*, product_id: int, quantity: int, product_type: str = ProductType.BOOK) -> StockItem:
    """8.5: takes available units off the shelves; reserved units stay held."""
    warehouse = warehouse_get_default(for_update=True)
    item = stock_item_get(warehouse=warehouse, product_type=product_type, product_id=product_id)
    if quantity > item.available:
        message = f"Only {item.available} units of {product_type} {product_id} are available; {quantity} were asked."
        raise Conflict(
            message,
            code=StockErrorCode.INSUFFICIENT_STOCK,
            details={"quantity": [message], "items": [_insufficient(item, product_type, product_id, quantity)]},
        )
    _take(item, quantity, reserve=False)
    item.refresh_from_db()
    return item


@dataclass(frozen=True)
class ReservationItem:
    product_id: int
    quantity: int
    product_type: str = ProductType.BOOK


def _same_items(reservation: Reservation, items: list[ReservationItem]) -> bool:
    held = sorted(
        (line.stock_item.product_type, line.stock_item.product_id, line.quantity) for line in reservation.lines.all()
    )
    return held == sorted((item.product_type, item.product_id, item.quantity) for item in items)


@transaction.atomic
def reservation_create(*, reference: str, items: list[ReservationItem]) -> tuple[Reservation, bool]:
    """Reserves every line or none (409 naming the short lines), for checkout.

    Returns the reservation and whether it was made now. The reference makes it
    idempotent: a replay with the same lines gets the same reservation and takes
    nothing twice; other lines under a used reference, or a reference already
    released, are a 409.
    """
    warehouse = warehouse_get_default(for_update=True)
    # A new reference is the common case: claim it in one statement; only a replay reads.
    reservation = create_unless_present(
        Reservation, unique=("reference",), warehouse=warehouse, reference=reference, expires_at=_hold_expiry()
    )
    if reservation is None:
        return _reservation_replayed(reference=reference, items=items), False
    _require_active(warehouse)  # a refusal from here on undoes the claim with the transaction
    stocked = {
        (item.product_type, item.product_id): item
        for item in StockItem.objects.filter(warehouse=warehouse, product_id__in={i.product_id for i in items})
    }
    short = []
    for item in items:
        stock = stocked.get((item.product_type, item.product_id))
        if stock is None or stock.available < item.quantity:
            short.append(_insufficient(stock, item.product_type, item.product_id, item.quantity))
    if short:
        raise Conflict(
            f"Not enough stock for {len(short)} of {len(items)} line(s); nothing was reserved.",
            code=StockErrorCode.INSUFFICIENT_STOCK,
            details={"items": short},
        )
    lines = []
    for item in items:
        stock = stocked[(item.product_type, item.product_id)]
        _take(stock, item.quantity, reserve=True)
        lines.append(ReservationLine(reservation=reservation, stock_item=stock, quantity=item.quantity))
    ReservationLine.objects.bulk_create(lines)
    # The answer shows what was just written, without reading it back.
    reservation._prefetched_objects_cache = {"lines": lines}  # type: ignore[attr-defined]  # Django's, private
    return reservation, True


def _hold_expiry():
    return timezone.now() + timedelta(minutes=settings.STOCK_HOLD_MINUTES)


def _reservation_replayed(*, reference: str, items: list[ReservationItem]) -> Reservation:
    existing = Reservation.objects.filter(reference=reference).prefetch_related("lines__stock_item").get()
    if existing.status != Reservation.Status.HELD:
        raise Conflict(
            f"Reservation {reference} was released; use a new reference.",
            code=StockErrorCode.RESERVATION_RELEASED,
            details={"reference": reference},
        )
    if not _same_items(existing, items):
        raise Conflict(
            f"Reservation {reference} already holds other items.",
            code=StockErrorCode.RESERVATION_REFERENCE_REUSED,
            details={"reference": reference},
        )
    return existing


@transaction.atomic
def reservation_release(*, reference: str) -> Reservation:
    """Puts the reserved units back on sale; releasing again changes nothing.

    An unknown reference is recorded as released with no lines: if the
    reservation it names was only delayed (a checkout that timed out and gave
    up), it is then refused when it arrives instead of holding stock forever.
    """
    warehouse = warehouse_get_default(for_update=True)
    reservation = Reservation.objects.filter(reference=reference).prefetch_related("lines").first()
    now = timezone.now()
    if reservation is None:
        return Reservation.objects.create(
            warehouse=warehouse, reference=reference, status=Reservation.Status.RELEASED, released_at=now
        )
    if reservation.status == Reservation.Status.HELD:
        _give_back(reservation, now=now)
    if reservation.status != Reservation.Status.RELEASED:  # held, or expired: now released for good
        reservation.status = Reservation.Status.RELEASED
        reservation.released_at = reservation.released_at or now
        reservation.save(update_fields=["status", "released_at", "updated_at"])
    return reservation


def _give_back(reservation: Reservation, *, now) -> None:
    lines = list(reservation.lines.all())
    items = StockItem.objects.in_bulk([line.stock_item_id for line in lines])  # their units for sale before
    for line in lines:
        returned = StockItem.objects.filter(pk=line.stock_item_id, reserved__gte=line.quantity).update(
            available=F("available") + line.quantity, reserved=F("reserved") - line.quantity, updated_at=now
        )
        if returned != 1:  # reserved units only leave through a reservation: this is a bug, not a client's error
            raise RuntimeError(f"Reservation {reservation.reference} holds more than is reserved; nothing released.")
        item = items[line.stock_item_id]
        _available_set(item, item.available + line.quantity, at=now)


@transaction.atomic
def reservation_confirm(*, reference: str) -> Reservation:
    """The holder's order was saved: the hold no longer expires. Confirming again changes
    nothing. A hold that expired meanwhile is taken again if every unit is still there
    (else 409 reservation_expired); a released one is 409 reservation_released."""
    warehouse = warehouse_get_default(for_update=True)
    reservation = Reservation.objects.filter(reference=reference).prefetch_related("lines__stock_item").first()
    if reservation is None:
        raise NotFound(f"There is no reservation {reference}.", code=StockErrorCode.RESERVATION_NOT_FOUND)
    if reservation.status == Reservation.Status.RELEASED:
        raise Conflict(
            f"Reservation {reference} was released.",
            code=StockErrorCode.RESERVATION_RELEASED,
            details={"reference": reference},
        )
    if reservation.status == Reservation.Status.EXPIRED:
        _retake(reservation, warehouse=warehouse)
    if reservation.confirmed_at is None:
        reservation.status = Reservation.Status.HELD
        reservation.expires_at = None
        reservation.confirmed_at = timezone.now()
        reservation.save(update_fields=["status", "expires_at", "confirmed_at", "updated_at"])
    return reservation


def _retake(reservation: Reservation, *, warehouse: Warehouse) -> None:
    _require_active(warehouse)
    lines = list(reservation.lines.all())
    short = [
        _insufficient(line.stock_item, line.stock_item.product_type, line.stock_item.product_id, line.quantity)
        for line in lines
        if line.stock_item.available < line.quantity
    ]
    if short:
        raise Conflict(
            f"Reservation {reservation.reference} expired and its units are no longer all available.",
            code=StockErrorCode.RESERVATION_EXPIRED,
            details={"reference": reservation.reference, "items": short},
        )
    for line in lines:
        _take(line.stock_item, line.quantity, reserve=True)
    reservation.released_at = None


def reservations_expire(*, limit: int = 100) -> int:
    """The sweep: unconfirmed holds past their expiry go back on sale (status expired);
    how many. Each in its own transaction, checked again under the warehouse lock."""
    now = timezone.now()
    due = Reservation.objects.filter(status=Reservation.Status.HELD, expires_at__lt=now).order_by("expires_at")
    expired = 0
    for reference in due.values_list("reference", flat=True)[:limit]:
        expired += _reservation_expire(reference=reference)
    return expired


@transaction.atomic
def _reservation_expire(*, reference: str) -> int:
    warehouse_get_default(for_update=True)
    now = timezone.now()
    reservation = (
        Reservation.objects.filter(reference=reference, status=Reservation.Status.HELD, expires_at__lt=now)
        .prefetch_related("lines")
        .first()
    )
    if reservation is None:  # confirmed or released meanwhile
        return 0
    _give_back(reservation, now=now)
    reservation.status = Reservation.Status.EXPIRED
    reservation.released_at = now
    reservation.save(update_fields=["status", "released_at", "updated_at"])
    logger.info("reservation %s expired unconfirmed: its units are back on sale", reference)
    return 1
