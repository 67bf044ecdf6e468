from enum import StrEnum


class CustomerErrorCode(StrEnum):
    CUSTOMER_EXISTS = "customer_exists"
