"""The demo customer `make run` creates (the logins themselves are in common.demo)."""

CUSTOMER_FULLNAME = {"first_name": "Minh", "last_name": "Nguyễn"}
CUSTOMER_ADDRESS = {"address": "12 Tràng Tiền", "city": "Hà Nội", "country": "Vietnam"}
