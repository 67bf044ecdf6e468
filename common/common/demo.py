"""The demo logins `make run` and docker compose create (customer_service's
load_demo_data) and print. Development only: the passwords are public."""

DEMO_STAFF = {"username": "staff", "email": "staff@bookstore.example", "password": "demo-staff-7319"}
DEMO_CUSTOMER = {"username": "reader", "email": "reader@bookstore.example", "password": "demo-reader-4826"}
