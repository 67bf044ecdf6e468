"""Writes to warehouses, stock and reservations: one transaction each.

Exactness under concurrency (PostgreSQL; on SQLite every transaction is BEGIN
IMMEDIATE, so writers already take turns). Locks are taken in one order, so no two
writers deadlock: the warehouse row, then a reservation's row, then stock item rows
in id order.

- The warehouse row: FOR UPDATE by the writes that check or change capacities or the
  status (warehouse_update, stock_add, stock_remove), so capacity checks see no other
  such writer in between; FOR SHARE by the writes that need it active while they work
  (reserving, taking an expired hold again), which therefore do not wait for each
  other. Moving units between available and reserved leaves the units on the shelves,
  and so every capacity, unchanged.
- A reservation's status changes under its row's lock (a conditional UPDATE, or
  SELECT ... FOR UPDATE), so a release, a confirmation and the expiry of one hold
  take turns, and its units move exactly once.
- Stock items are locked (SELECT ... FOR UPDATE) before their units are read, so a
  check of stock and the change it allows see no other writer of those items in
  between; two checkouts of different books do not wait for each other.

The updates are conditional as well (`available >= n`) and the database refuses
negative stock, so a bug here fails loudly instead of overselling.
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
from common.statements import insert
from stock import statements
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
    warehouse = warehouse_get_default(lock="update")
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
    warehouse = warehouse_get_default(lock="update")
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
    # Locked: releases move its units without the warehouse lock.
    item, _ = StockItem.objects.select_for_update().get_or_create(
        warehouse=warehouse, product_type=product_type, product_id=product_id
    )
    now = timezone.now()
    StockItem.objects.filter(pk=item.pk).update(available=F("available") + quantity, updated_at=now)
    _available_set(item, item.available + quantity, at=now)
    item.refresh_from_db()
    return item


def _available_set(item: StockItem, available: int, *, at) -> None:
    """Records on `item` the units for sale just written to its row and, when a book's
    reach 0 or leave it, tells book_service (stock.availability_changed, in this
    transaction): the catalog keeps each book's in_stock from these rather than asking
    here on every read. Every writer holds the item's row lock from before it read
    `item.available` until it commits, and takes `at` (the row's updated_at) under it:
    of two changes of one book, the later commit says the later time, and the catalog
    keeps the later word."""
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


def _take(takes: list[tuple[StockItem, int]], *, reserve: bool, at) -> None:
    """Takes each pair's units off its (locked) item's available, into reserved if
    `reserve`, in one statement. The update is conditional: it changes nothing if the
    units are not there."""
    moves = [(item.pk, units) for item, units in takes]
    taken = statements.units_move(moves, taken_from="available", put_into="reserved" if reserve else None, at=at)
    if taken != len(takes):
        # The row locks make this unreachable; never oversell if it is not.
        raise Conflict(
            "The stock changed while this request was served; try again.",
            code=StockErrorCode.INSUFFICIENT_STOCK,
            details={
                "items": [_insufficient(item, item.product_type, item.product_id, units) for item, units in takes]
            },
        )
    for item, units in takes:
        _available_set(item, item.available - units, at=at)


@transaction.atomic
def stock_remove(*, product_id: int, quantity: int, product_type: str = ProductType.BOOK) -> StockItem:
    """8.5: takes available units off the shelves; reserved units stay held."""
    warehouse = warehouse_get_default(lock="update")
    item = stock_item_get(warehouse=warehouse, product_type=product_type, product_id=product_id, for_update=True)
    if quantity > item.available:
        message = f"Only {item.available} units of {product_type} {product_id} are available; {quantity} were asked."
        raise Conflict(
            message,
            code=StockErrorCode.INSUFFICIENT_STOCK,
            details={"quantity": [message], "items": [_insufficient(item, product_type, product_id, quantity)]},
        )
    _take([(item, quantity)], reserve=False, at=timezone.now())
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
    warehouse = warehouse_get_default(lock="share")
    # A new reference is the common case: claim it in one statement; only a replay reads.
    reservation = create_unless_present(
        Reservation, unique=("reference",), warehouse=warehouse, reference=reference, expires_at=_hold_expiry()
    )
    if reservation is None:
        return _reservation_replayed(reference=reference, items=items), False
    _require_active(warehouse)  # a refusal from here on undoes the claim with the transaction
    wanted = {(item.product_type, item.product_id) for item in items}
    candidates = statements.stock_items_locked(
        warehouse_id=warehouse.pk,
        types=(product_type for product_type, _ in wanted),
        ids=(product_id for _, product_id in wanted),
    )
    stocked = {
        (stock.product_type, stock.product_id): stock
        for stock in candidates
        if (stock.product_type, stock.product_id) in wanted
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
    takes = [(stocked[(item.product_type, item.product_id)], item.quantity) for item in items]
    _take(takes, reserve=True, at=timezone.now())  # the time taken under the items' locks orders their words
    lines = [ReservationLine(reservation=reservation, stock_item=stock, quantity=units) for stock, units in takes]
    insert(lines)  # one INSERT ... RETURNING, as bulk_create's, made without the ORM's compiler
    _lines_set(reservation, lines)  # the answer shows what was just written, without reading it back
    return reservation, True


def _hold_expiry():
    return timezone.now() + timedelta(minutes=settings.STOCK_HOLD_MINUTES)


def _lines_set(reservation: Reservation, lines: list[ReservationLine]) -> None:
    """`reservation.lines.all()` answers `lines` without a query."""
    reservation._prefetched_objects_cache = {"lines": lines}  # type: ignore[attr-defined]  # Django's, private


def _reservation_read(reference: str, *, lock_items: bool = False) -> Reservation | None:
    """The reservation with its lines and their stock items, in one query (all but
    those recorded released when unknown); None if there is none. With lock_items, its
    stock items are locked, in id order (the caller holds the reservation's row lock
    already)."""
    read = statements.reservation_with_lines(reference, lock_items=lock_items)
    if read is None:
        if not lock_items:
            return None
        reservation = Reservation.objects.filter(reference=reference).first()  # one without lines
        if reservation is not None:
            _lines_set(reservation, [])
        return reservation
    reservation, lines = read
    _lines_set(reservation, lines)
    return reservation


def _reservation_locked(reference: str) -> Reservation | None:
    return Reservation.objects.select_for_update().filter(reference=reference).first()


def _reservation_replayed(*, reference: str, items: list[ReservationItem]) -> Reservation:
    existing = _reservation_read(reference)
    assert existing is not None  # the claim found it committed, and rows are not deleted
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


def _hold_end(reference: str, status: str, *, at, expired_by=None) -> bool:
    """Ends the hold named `reference`, if it is held (and expired by `expired_by`, if
    given), with `status`: one statement, which takes the reservation's row lock;
    whether it did."""
    changes = {"status": status, "released_at": at, "updated_at": at}
    return statements.held_update(reference, changes, expired_by=expired_by)


@transaction.atomic
def reservation_release(*, reference: str) -> Reservation:
    """Puts the reserved units back on sale; releasing again changes nothing.

    An unknown reference is recorded as released with no lines: if the
    reservation it names was only delayed (a checkout that timed out and gave
    up), it is then refused when it arrives instead of holding stock forever.
    """
    now = timezone.now()
    if _hold_end(reference, Reservation.Status.RELEASED, at=now):  # the common case: held
        return _give_back(reference)
    reservation = _reservation_locked(reference)
    if reservation is None:
        recorded = create_unless_present(
            Reservation,
            unique=("reference",),
            warehouse=warehouse_get_default(),
            reference=reference,
            status=Reservation.Status.RELEASED,
            released_at=now,
        )
        if recorded is not None:
            _lines_set(recorded, [])
            return recorded
        reservation = _reservation_locked(reference)  # a reservation under it committed meanwhile
        assert reservation is not None  # committed: a row is not deleted
    if reservation.status == Reservation.Status.HELD:  # held since the first statement looked
        _hold_end(reference, Reservation.Status.RELEASED, at=now)
        return _give_back(reference)
    if reservation.status == Reservation.Status.EXPIRED:  # its units went back then: now released for good
        Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.RELEASED, updated_at=now)
    released = _reservation_read(reference)
    assert released is not None  # locked above
    return released


def _give_back(reference: str) -> Reservation:
    """Puts the units of a hold just ended (its row locked) back on sale; the reservation."""
    reservation = _reservation_read(reference, lock_items=True)
    assert reservation is not None  # its row is locked
    lines = list(reservation.lines.all())
    at = timezone.now()  # under the items' locks: orders the words about them
    moves = [(line.stock_item_id, line.quantity) for line in lines]
    returned = statements.units_move(moves, taken_from="reserved", put_into="available", at=at)
    if returned != len(lines):  # reserved units only leave through a reservation: this is a bug, not a client's error
        raise RuntimeError(f"Reservation {reference} holds more than is reserved; nothing released.")
    for line in lines:
        _available_set(line.stock_item, line.stock_item.available + line.quantity, at=at)
    return reservation


@transaction.atomic
def reservation_confirm(*, reference: str) -> Reservation:
    """The holder's order was saved: the hold no longer expires. Confirming again changes
    nothing. A hold that expired meanwhile is taken again if every unit is still there
    (else 409 reservation_expired); a released one is 409 reservation_released."""
    now = timezone.now()
    # The common case, a hold not confirmed yet: one statement, under the row's lock.
    confirmation = {"expires_at": None, "confirmed_at": now, "updated_at": now}
    if statements.held_update(reference, confirmation, unconfirmed=True):
        confirmed = _reservation_read(reference)
        assert confirmed is not None  # just updated
        return confirmed
    warehouse = warehouse_get_default(lock="share")  # taking an expired hold again needs it active
    reservation = _reservation_locked(reference)
    if reservation is None:
        raise NotFound(f"There is no reservation {reference}.", code=StockErrorCode.RESERVATION_NOT_FOUND)
    if reservation.status == Reservation.Status.RELEASED:
        raise Conflict(
            f"Reservation {reference} was released.",
            code=StockErrorCode.RESERVATION_RELEASED,
            details={"reference": reference},
        )
    if reservation.status == Reservation.Status.EXPIRED:
        _retake(reference, warehouse=warehouse)
    if reservation.confirmed_at is None:  # expired, or held since the first statement looked
        Reservation.objects.filter(pk=reservation.pk).update(
            status=Reservation.Status.HELD, expires_at=None, confirmed_at=now, released_at=None, updated_at=now
        )
    confirmed = _reservation_read(reference)
    assert confirmed is not None  # locked above
    return confirmed


def _retake(reference: str, *, warehouse: Warehouse) -> None:
    _require_active(warehouse)
    reservation = _reservation_read(reference, lock_items=True)
    assert reservation is not None  # its row is locked
    lines = list(reservation.lines.all())
    short = [
        _insufficient(line.stock_item, line.stock_item.product_type, line.stock_item.product_id, line.quantity)
        for line in lines
        if line.stock_item.available < line.quantity
    ]
    if short:
        raise Conflict(
            f"Reservation {reference} expired and its units are no longer all available.",
            code=StockErrorCode.RESERVATION_EXPIRED,
            details={"reference": reference, "items": short},
        )
    _take([(line.stock_item, line.quantity) for line in lines], reserve=True, at=timezone.now())


def reservations_expire(*, limit: int = 100) -> int:
    """The sweep: unconfirmed holds past their expiry go back on sale (status expired);
    how many. Each in its own transaction, checked again under the reservation's lock."""
    now = timezone.now()
    due = Reservation.objects.filter(status=Reservation.Status.HELD, expires_at__lt=now).order_by("expires_at")
    expired = 0
    for reference in due.values_list("reference", flat=True)[:limit]:
        expired += _reservation_expire(reference=reference)
    return expired


@transaction.atomic
def _reservation_expire(*, reference: str) -> int:
    now = timezone.now()
    if not _hold_end(reference, Reservation.Status.EXPIRED, at=now, expired_by=now):
        return 0  # confirmed or released meanwhile
    _give_back(reference)
    logger.info("reservation %s expired unconfirmed: its units are back on sale", reference)
    return 1
