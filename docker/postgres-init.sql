-- One database per service (names as common/services.py derives them).
CREATE DATABASE bookstore_gateway;
CREATE DATABASE bookstore_book;
CREATE DATABASE bookstore_order;
CREATE DATABASE bookstore_customer;
CREATE DATABASE bookstore_cart;
CREATE DATABASE bookstore_payment;
CREATE DATABASE bookstore_notification;
CREATE DATABASE bookstore_inventory;
