"""The demo customer `make run` creates (the logins themselves are in common.demo)."""

from typing import Any

# Keyword arguments of services.fullname_create and services.address_create.
CUSTOMER_FULLNAME: dict[str, Any] = {"first_name": "Minh", "last_name": "Nguyễn"}
CUSTOMER_ADDRESS: dict[str, Any] = {"address": "12 Tràng Tiền", "city": "Hà Nội", "country": "Vietnam"}
