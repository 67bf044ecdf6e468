"""The eight services of the system: their names, folders and default ports.

Everything that needs to know "which services exist" (settings, the gateway's
routes, `make run`, the end-to-end harness) reads this one table.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str  # short name used in settings, logs and error messages
    folder: str  # the Django project's folder in the repository
    default_port: int
    owns: str = ""  # what its database holds, in a few words (the back office's home page)

    @property
    def env_prefix(self) -> str:
        return self.folder.upper()  # BOOK_SERVICE, GATEWAY, ...

    @property
    def port_var(self) -> str:
        return f"{self.env_prefix}_PORT"

    @property
    def url_var(self) -> str:
        return f"{self.env_prefix}_URL"

    @property
    def database_name(self) -> str:
        return f"bookstore_{self.name}"


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service("gateway", "gateway", 1000, "no business data: routing, edge auth, health, docs"),
        Service("book", "book_service", 2100, "authors, categories, books"),
        Service("order", "order_service", 3000, "orders, order lines, status history"),
        Service("customer", "customer_service", 4000, "accounts, full names, addresses, customers"),
        Service("cart", "cart_service", 5000, "carts, cart items"),
        Service("payment", "payment_service", 6000, "payments and their transactions"),
        Service("notification", "notification_service", 7000, "notifications, their delivery state"),
        Service("inventory", "inventory_service", 8000, "warehouses, stock per product"),
    )
}
