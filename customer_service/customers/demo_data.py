"""The demo logins `make run` creates. Development only: the passwords are public."""

STAFF = {"username": "staff", "email": "staff@bookstore.example", "password": "demo-staff-7319"}
CUSTOMER = {"username": "reader", "email": "reader@bookstore.example", "password": "demo-reader-4826"}
CUSTOMER_FULLNAME = {"first_name": "Minh", "last_name": "Nguyễn"}
CUSTOMER_ADDRESS = {"address": "12 Tràng Tiền", "city": "Hà Nội", "country": "Vietnam"}
