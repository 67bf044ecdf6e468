"""Which service serves each /api/<resource>/ prefix of the API contract.

The gateway forwards the path unchanged, so a service's routes are the same
whether called directly or through the gateway.
"""

ROUTES: dict[str, str] = {
    "authors": "book",
    "categories": "book",
    "books": "book",
    "orders": "order",
    "accounts": "customer",
    "auth": "customer",
    "fullnames": "customer",
    "addresses": "customer",
    "customers": "customer",
    "carts": "cart",
    "payments": "payment",
    "notifications": "notification",
    "warehouse": "inventory",
}
