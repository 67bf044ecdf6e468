"""Writes to carts: one transaction each.

Every writer locks the cart row first (adding and clearing by the statement that moves
its updated_at, removing by select_for_update; on SQLite the IMMEDIATE transaction
already serializes writers), so changes to one cart happen one at a time and always
take their locks in the same order: cart, then its lines.
"""

import functools
from collections.abc import Iterable
from decimal import Decimal
from string import Formatter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from carts import selectors
from carts.clients import books
from carts.errors import CartErrorCode, cart_not_found
from carts.models import MAX_LINE_QUANTITY, Cart, CartItem
from common.auth import Caller
from common.db import concrete_field, quoted_column, quoted_table
from common.errors import ApiError, Conflict, NotFound
from common.money import check_total
from common.statements import fields_save

# One batched call to book_service reads the whole cart, so a cart has at most
# as many lines as that call takes ids.
MAX_LINES = books.MAX_IDS_PER_CALL


# The cart's busiest writes (an add's upsert and its line, a clear) are written out, on
# PostgreSQL and SQLite (3.35+) alike, as gateway's rate counter is: through the ORM
# (bulk_create's upsert, save(), an update() that cannot answer the id, a delete()
# through the cart's user_id) building them cost more CPU than their round trips
# (docs/performance.md). Each statement's text is made once for the process.
@functools.cache
def _sql(template: str, model: type[Model]) -> str:
    """`template` with {table} and each {field} of `model` as its quoted column."""
    names = {name for _, name, _, _ in Formatter().parse(template) if name and name != "table"}
    return template.format(table=quoted_table(model), **{name: quoted_column(model, name) for name in names})


def _now(model: type[Model]) -> Any:
    """The time now as `model`'s updated_at takes it in a statement written out (on
    SQLite, the naive UTC text the ORM writes)."""
    return concrete_field(model, "updated_at").get_db_prep_save(timezone.now(), connection)


@transaction.atomic
def cart_create(*, user_id: int, caller: Caller | None = None) -> tuple[Cart, bool]:
    """5.1: the cart of user_id, created if it does not exist yet; (cart, created).
    A customer `caller` may create only their own (None: this service, for itself)."""
    if caller is not None and not caller.may_see(user_id):
        raise PermissionDenied("A customer may create only their own cart.")
    cart = Cart.objects.filter(user_id=user_id).first()
    if cart is not None:
        return cart, False
    try:
        with transaction.atomic():
            return Cart.objects.create(user_id=user_id), True
    except IntegrityError:  # a concurrent create for the same user won the race
        return Cart.objects.get(user_id=user_id), False


def cart_item_add(*, user_id: int, product_id: int, quantity: int) -> tuple[CartItem, bool]:
    """5.2: add `quantity` of a book, raising the quantity of its line if it has one;
    (line, created). Creates the cart if the user has none yet."""
    # Asked before the transaction, so no lock is held while book_service answers;
    # if it is down, this raises and nothing has changed. The prices of the lines
    # already in the cart come in the same call, for the total's limit.
    in_cart = selectors.cart_product_ids(user_id=user_id)
    if product_id not in in_cart and len(in_cart) >= MAX_LINES:
        raise _cart_full()
    known = books.books_fetch(ids=in_cart | {product_id})
    if product_id not in known:
        message = f"There is no book with id {product_id}."
        raise ApiError(message, code=CartErrorCode.UNKNOWN_PRODUCT, details={"product_id": [message]})
    prices = {book_id: book.price for book_id, book in known.items()}
    return _cart_item_add(user_id=user_id, product_id=product_id, quantity=quantity, prices=prices)


@transaction.atomic
def _cart_item_add(
    *, user_id: int, product_id: int, quantity: int, prices: dict[int, Decimal]
) -> tuple[CartItem, bool]:
    cart_id = _cart_touch(user_id=user_id)
    # All the lines in one read, under the cart's lock: the line to raise, how many
    # there are and the total come from it, and a refused add writes nothing.
    lines = {line.product_id: line for line in selectors.cart_lines(cart_id=cart_id)}
    line = lines.get(product_id)
    if line is None:
        if len(lines) >= MAX_LINES:  # filled by a concurrent request since the first look
            raise _cart_full()
        line = lines[product_id] = CartItem(cart_id=cart_id, product_id=product_id, quantity=quantity)
    elif line.quantity + quantity > MAX_LINE_QUANTITY:
        message = (
            f"The cart has {line.quantity} of this product; adding {quantity} would pass "
            f"the limit of {MAX_LINE_QUANTITY} per line."
        )
        raise Conflict(
            message,
            code=CartErrorCode.LINE_QUANTITY_LIMIT,
            details={"quantity": [message], "in_cart": line.quantity},
        )
    else:
        line.quantity += quantity
    _check_total(lines.values(), prices)
    created = line.pk is None
    _line_write(line, created=created)
    return line, created


def _line_write(line: CartItem, *, created: bool) -> None:
    """Writes `line` as save() would (force_insert when `created`, else its quantity and
    updated_at), each value through its field's pre_save and get_db_prep_save; a new
    line gets the id the database made and is a stored row to Django from then on."""
    if not created:
        fields_save(line, ("quantity", "updated_at"))
        return
    names = ["created_at", "updated_at", "cart", "product_id", "quantity"]
    statement = _sql(
        "INSERT INTO {table} ({created_at}, {updated_at}, {cart}, {product_id}, {quantity}) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING {id}",
        CartItem,
    )
    fields = [concrete_field(CartItem, name) for name in names]
    params = [field.get_db_prep_save(field.pre_save(line, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        (line.pk,) = cursor.fetchone()
    line._state.adding, line._state.db = False, connection.alias


def _cart_touch(*, user_id: int) -> int:
    """The id of the user's cart, made if there is none, with its updated_at moved and
    its row locked until the transaction ends: one INSERT ... ON CONFLICT DO UPDATE
    RETURNING, where a get-or-create in a savepoint, a SELECT ... FOR UPDATE and an
    UPDATE took five statements or more. A concurrent first add waits on the unique
    user_id, then updates the row the other made. (On PostgreSQL every upsert draws an
    id from the cart's bigint sequence, used or not: gaps, never exhaustion.)"""
    statement = _sql(
        "INSERT INTO {table} ({user_id}, {created_at}, {updated_at}) VALUES (%s, %s, %s) "
        "ON CONFLICT ({user_id}) DO UPDATE SET {updated_at} = EXCLUDED.{updated_at} RETURNING {id}",
        Cart,
    )
    now = _now(Cart)
    with connection.cursor() as cursor:
        cursor.execute(statement, [user_id, now, now])
        (cart_id,) = cursor.fetchone()
    return cart_id


def _cart_full() -> Conflict:
    return Conflict(
        f"A cart holds at most {MAX_LINES} different products.",
        code=CartErrorCode.CART_FULL,
        details={"product_id": [f"The cart already has {MAX_LINES} products."]},
    )


def _check_total(lines: Iterable[CartItem], prices: dict[int, Decimal]) -> None:
    """A cart becomes an order whose total has a limit (common.money): refuse the book
    that would pass it now rather than at checkout. A line whose price was not read
    (added meanwhile by another request) counts at the price checkout will see."""
    total = sum(
        (prices[line.product_id] * line.quantity for line in lines if line.product_id in prices),
        Decimal("0.00"),
    )
    check_total(total, what="the cart's with this book", code=CartErrorCode.CART_TOTAL_TOO_LARGE)


@transaction.atomic
def cart_item_remove(*, user_id: int, product_id: int, quantity: int | None = None) -> CartItem | None:
    """5.3: take `quantity` off a line, or the whole line when quantity is None or
    at least what is there; the line left, or None when it is gone."""
    cart = _locked_cart(user_id)
    line = cart.items.filter(product_id=product_id).first() if cart else None
    if cart is None or line is None:
        raise NotFound(f"Product {product_id} is not in the cart of user {user_id}.", code=CartErrorCode.ITEM_NOT_FOUND)
    if quantity is None or quantity >= line.quantity:
        line.delete()
        line = None
    else:
        line.quantity -= quantity
        line.save(update_fields=["quantity", "updated_at"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_clear(*, user_id: int) -> int:
    """5.5: remove every line; the number of lines removed."""
    # Moving updated_at locks the cart too, and answers its id: one statement where a
    # SELECT ... FOR UPDATE and an UPDATE were two. Its lines go by that id, not through
    # a subquery on the cart's user_id.
    with connection.cursor() as cursor:
        cursor.execute(
            _sql("UPDATE {table} SET {updated_at} = %s WHERE {user_id} = %s RETURNING {id}", Cart),
            [_now(Cart), user_id],
        )
        cart = cursor.fetchone()
        if cart is None:
            raise cart_not_found(user_id)
        cursor.execute(_sql("DELETE FROM {table} WHERE {cart} = %s", CartItem), cart)
        return cursor.rowcount


def _locked_cart(user_id: int) -> Cart | None:
    return Cart.objects.select_for_update().filter(user_id=user_id).first()


def cart_of_erased_account_delete(user_id: int) -> None:
    """account.deleted, in its transaction: the person's cart and its lines go."""
    Cart.objects.filter(user_id=user_id).delete()
