"""Reservations at the same moment, on PostgreSQL (on SQLite every transaction is BEGIN
IMMEDIATE: writers take turns, and these races cannot happen). Each test holds one
transaction open at a chosen point, in a thread, and checks what another does meanwhile."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from common.errors import Conflict
from common.outbox.models import OutboxEvent
from stock import services
from stock.models import Reservation, ReservationLine, StockItem, Warehouse
from stock.services import ReservationItem

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
]

WAIT = 10  # seconds: longer than any of these takes, shorter than a hung test run


@pytest.fixture(autouse=True)
def _outbox_without_threads(settings):
    settings.OUTBOX_FAST_PATH = False


def reserve(reference: str, *lines: tuple[int, int]) -> Reservation:
    items = [ReservationItem(product_id=book, quantity=quantity) for book, quantity in lines]
    return services.reservation_create(reference=reference, items=items)[0]


class Background:
    """`call` in a thread with its own connection; its outcome (a value or the error) once done."""

    def __init__(self, call: Callable[[], Any]):
        self.outcome: Any = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(call,))
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.outcome = call()
        except Exception as error:  # reported by the test
            self.outcome = error
        finally:
            close_old_connections()
            self.done.set()

    def result(self) -> Any:
        assert self.done.wait(WAIT), "still waiting"
        self.thread.join(WAIT)
        return self.outcome


@contextmanager
def paused_in(monkeypatch, name: str) -> Iterator[threading.Event]:
    """The first call of services.<name> (in any thread) waits, inside its transaction,
    until the test leaves the block; yields the event set once that call is reached."""
    real = getattr(services, name)
    reached, resume = threading.Event(), threading.Event()
    first = threading.Lock()

    def waiting(*args, **kwargs):
        if first.acquire(blocking=False):
            reached.set()
            assert resume.wait(WAIT)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, waiting)
    try:
        yield reached
    finally:
        resume.set()


@contextmanager
def lock_timeout() -> Iterator[None]:
    """This thread's statements give up after a second waiting for a lock (an error),
    where they would wait for the paused transaction to end."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def words(book: int) -> list[tuple[bool, Any]]:
    """What inventory told about `book`, in the order book_service keeps them (changed_at)."""
    events = OutboxEvent.objects.filter(event_type="stock.availability_changed", key=f"book:{book}")
    told = [(event.payload["in_stock"], parse_datetime(event.payload["changed_at"])) for event in events]
    return sorted(told, key=lambda word: word[1])


def assert_reserved_is_what_holds_keep(book: int) -> None:
    item = StockItem.objects.get(product_id=book)
    held = ReservationLine.objects.filter(stock_item=item, reservation__status=Reservation.Status.HELD)
    assert item.reserved == sum(line.quantity for line in held)


def test_of_many_checkouts_racing_for_the_last_unit_exactly_one_gets_it(put_stock):
    put_stock(1, 1)
    start = threading.Barrier(6, timeout=WAIT)

    def checkout(number: int):
        start.wait()
        return reserve(f"order-{number}", (1, 1))

    racers = [Background(lambda number=number: checkout(number)) for number in range(6)]
    outcomes = [racer.result() for racer in racers]

    won = [outcome for outcome in outcomes if isinstance(outcome, Reservation)]
    lost = [outcome for outcome in outcomes if not isinstance(outcome, Reservation)]
    assert len(won) == 1
    assert all(isinstance(error, Conflict) and error.code == "insufficient_stock" for error in lost), lost
    item = StockItem.objects.get()
    assert (item.available, item.reserved) == (0, 1)
    assert_reserved_is_what_holds_keep(1)
    assert [in_stock for in_stock, _ in words(1)] == [True, False]


def test_a_reservation_of_another_book_does_not_wait_for_one_in_progress(put_stock, monkeypatch):
    put_stock(1, 1)
    put_stock(2, 5)
    with paused_in(monkeypatch, "publish") as reached:  # book 1's last unit taken, not committed
        first = Background(lambda: reserve("order-1", (1, 1)))
        assert reached.wait(WAIT)
        with lock_timeout():  # the warehouse lock of before would make this wait
            second = reserve("order-2", (2, 2))
        assert second.status == Reservation.Status.HELD
        assert not first.done.is_set()
    assert isinstance(first.result(), Reservation)
    assert [(item.available, item.reserved) for item in StockItem.objects.order_by("product_id")] == [(0, 1), (3, 2)]


def test_a_reservation_waits_for_a_release_of_its_book_and_the_later_word_is_the_last(put_stock, monkeypatch):
    put_stock(1, 1)
    reserve("order-1", (1, 1))
    # The release holds its items' locks (its lines read with them, now kept on the
    # reservation) and has not taken the time of its change yet.
    with paused_in(monkeypatch, "_lines_set") as reached:
        releasing = Background(lambda: services.reservation_release(reference="order-1"))
        assert reached.wait(WAIT)
        reserving = Background(lambda: reserve("order-2", (1, 1)))
        assert not reserving.done.wait(0.5)  # it waits for the book's row
    assert releasing.result().status == Reservation.Status.RELEASED
    assert reserving.result().status == Reservation.Status.HELD  # it read the unit given back
    item = StockItem.objects.get()
    assert (item.available, item.reserved) == (0, 1)
    assert_reserved_is_what_holds_keep(1)
    # In changed_at's order, as book_service keeps them: the last says what was committed last.
    assert [in_stock for in_stock, _ in words(1)] == [True, False, True, False]


LINES = {"forward": ((1, 1), (2, 1)), "backward": ((2, 1), (1, 1))}


def test_reserving_and_giving_back_lock_the_items_in_id_order_whatever_the_lines_order(put_stock):
    # A race seldom shows a deadlock (it needs two transactions between two row locks of
    # one statement); the order the statements ask for is what prevents it.
    put_stock(1, 5)
    put_stock(2, 5)
    with CaptureQueriesContext(connection) as reserving:
        reserve("order-1", (2, 1), (1, 1))
    with CaptureQueriesContext(connection) as releasing:
        services.reservation_release(reference="order-1")

    def locking(queries) -> list[str]:
        return [query["sql"] for query in queries if "FOR UPDATE" in query["sql"] or "FOR SHARE" in query["sql"]]

    warehouse, items = locking(reserving.captured_queries)
    assert warehouse.startswith('SELECT "stock_warehouse"')
    assert warehouse.endswith("FOR SHARE")
    assert items.endswith('ORDER BY "stock_stockitem"."id" ASC FOR UPDATE')
    (lines,) = locking(releasing.captured_queries)
    assert lines.endswith('ORDER BY "stock_reservationline"."stock_item_id" ASC FOR UPDATE OF "stock_stockitem"')


def test_checkouts_of_the_same_books_in_opposite_orders_do_not_deadlock(put_stock):
    put_stock(1, 100)
    put_stock(2, 100)
    start = threading.Barrier(2, timeout=WAIT)

    def checkouts(name: str, lines: tuple[tuple[int, int], ...]):
        start.wait()
        for number in range(15):
            reserve(f"{name}-{number}", *lines)
            services.reservation_release(reference=f"{name}-{number}")
        return name

    names = ("forward-1", "backward-1")
    racers = [Background(lambda name=name: checkouts(name, LINES[name.split("-")[0]])) for name in names]

    assert tuple(racer.result() for racer in racers) == names
    assert [(item.available, item.reserved) for item in StockItem.objects.all()] == [(100, 0), (100, 0)]


def test_a_reservation_waits_for_a_pause_in_progress_and_is_then_refused(put_stock, monkeypatch):
    put_stock(1, 5)
    with paused_in(monkeypatch, "warehouse_usage") as reached:  # the warehouse row locked by the update
        pausing = Background(lambda: services.warehouse_update(status=Warehouse.Status.PAUSED))
        assert reached.wait(WAIT)
        reserving = Background(lambda: reserve("order-1", (1, 1)))
        assert not reserving.done.wait(0.5)  # its FOR SHARE waits for the update's lock
    assert pausing.result().status == Warehouse.Status.PAUSED
    refused = reserving.result()
    assert isinstance(refused, Conflict)
    assert refused.code == "warehouse_not_active"
    assert (StockItem.objects.get().reserved, Reservation.objects.count()) == (0, 0)


def test_a_confirmation_during_the_expiry_of_its_hold_takes_the_units_again(put_stock, monkeypatch, settings):
    put_stock(1, 1)
    settings.STOCK_HOLD_MINUTES = -1  # expired as soon as made
    reserve("order-1", (1, 1))
    with paused_in(monkeypatch, "publish") as reached:  # the expiry's "in stock" written, not committed
        expiring = Background(lambda: services.reservations_expire())
        assert reached.wait(WAIT)
        confirming = Background(lambda: services.reservation_confirm(reference="order-1"))
        assert not confirming.done.wait(0.5)  # it waits for the reservation's row
    assert expiring.result() == 1
    confirmed = confirming.result()
    assert (confirmed.status, confirmed.released_at) == (Reservation.Status.HELD, None)
    assert confirmed.confirmed_at is not None
    item = StockItem.objects.get()
    assert (item.available, item.reserved) == (0, 1)
    assert_reserved_is_what_holds_keep(1)
