from enum import StrEnum


class PaymentErrorCode(StrEnum):
    ORDER_NOT_PAYABLE = "order_not_payable"
    ORDER_ALREADY_PAID = "order_already_paid"
    PAYMENT_IN_PROGRESS = "payment_in_progress"
    PAYMENT_NOT_REFUNDABLE = "payment_not_refundable"
    PROVIDER_ERROR = "provider_error"
