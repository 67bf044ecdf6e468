"""What each event says to the customer: a subject and a body per event type, in
English and Vietnamese (NOTIFICATION_LANGUAGE picks one).

Templates are str.format strings over the event's validated payload plus a few
derived fields (lines, status and method labels); they are ours, never a client's.
"""

from dataclasses import dataclass

LANGUAGES = ("en", "vi")
SUBJECT_MAX_LENGTH = 255


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


STATUS_LABELS = {
    "en": {
        "pending": "awaiting payment",
        "paid": "paid",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
    },
    "vi": {
        "pending": "chờ thanh toán",
        "paid": "đã thanh toán",
        "shipped": "đang giao",
        "delivered": "đã giao",
        "cancelled": "đã hủy",
    },
}

METHOD_LABELS = {
    "en": {"card": "card", "cod": "cash on delivery"},
    "vi": {"card": "thẻ", "cod": "thanh toán khi nhận hàng"},
}

NAMELESS = {"en": "there", "vi": "bạn"}  # "Hello there," when a customer gave no name

TEMPLATES: dict[str, dict[str, Template]] = {
    "order.created": {
        "en": Template(
            subject="Order #{order_id} placed",
            body=(
                "Thank you for your order.\n\n"
                "Order #{order_id}:\n{lines}\nTotal: {total}\n\n"
                "We will write again when it is paid and on its way."
            ),
        ),
        "vi": Template(
            subject="Đơn hàng #{order_id} đã được đặt",
            body=(
                "Cảm ơn bạn đã đặt hàng.\n\n"
                "Đơn hàng #{order_id}:\n{lines}\nTổng cộng: {total}\n\n"
                "Chúng tôi sẽ báo cho bạn khi đơn hàng được thanh toán và giao đi."
            ),
        ),
    },
    "order.status_changed": {
        "en": Template(
            subject="Order #{order_id} is {to_status_label}",
            body="Your order #{order_id} was {from_status_label} and is now {to_status_label}.",
        ),
        "vi": Template(
            subject="Đơn hàng #{order_id}: {to_status_label}",
            body="Đơn hàng #{order_id} của bạn đã chuyển từ «{from_status_label}» sang «{to_status_label}».",
        ),
    },
    "payment.succeeded": {
        "en": Template(
            subject="Payment received for order #{order_id}",
            body="We received your payment of {amount} by {method_label} for order #{order_id}. Thank you!",
        ),
        "vi": Template(
            subject="Đã nhận thanh toán cho đơn hàng #{order_id}",
            body=(
                "Chúng tôi đã nhận được khoản thanh toán {amount} bằng {method_label} "
                "cho đơn hàng #{order_id}. Xin cảm ơn!"
            ),
        ),
    },
    "payment.failed": {
        "en": Template(
            subject="Payment for order #{order_id} failed",
            body=(
                "Your payment of {amount} by {method_label} for order #{order_id} did not go through: "
                "{failure_message}\n\nThe order is still waiting; you can pay again with another card or method."
            ),
        ),
        "vi": Template(
            subject="Thanh toán cho đơn hàng #{order_id} không thành công",
            body=(
                "Khoản thanh toán {amount} bằng {method_label} cho đơn hàng #{order_id} không thành công: "
                "{failure_message}\n\nĐơn hàng vẫn đang chờ; bạn có thể thanh toán lại bằng thẻ hoặc cách khác."
            ),
        ),
    },
    "payment.refunded": {
        "en": Template(
            subject="Refund for order #{order_id}",
            body="We refunded {amount} for order #{order_id}. It may take a few days to reach your account.",
        ),
        "vi": Template(
            subject="Đã hoàn tiền cho đơn hàng #{order_id}",
            body=(
                "Chúng tôi đã hoàn lại {amount} cho đơn hàng #{order_id}. "
                "Có thể mất vài ngày để tiền về tài khoản của bạn."
            ),
        ),
    },
    "account.created": {
        "en": Template(
            subject="Welcome to the bookstore",
            body="Hello {username},\n\nYour account is ready. We hope you find some good books!",
        ),
        "vi": Template(
            subject="Chào mừng bạn đến với nhà sách",
            body="Xin chào {username},\n\nTài khoản của bạn đã được tạo. Chúc bạn tìm được những cuốn sách hay!",
        ),
    },
    "account.verification_requested": {
        "en": Template(
            subject="Confirm your email address",
            body=(
                "Hello {username},\n\nPlease confirm that this is your email address by opening this link:\n\n"
                "{link}\n\nThe link works for {valid_for}. You can browse and fill your cart before, but you "
                "can order only once your address is confirmed.\n\n"
                "If you did not sign up at the bookstore, ignore this email."
            ),
        ),
        "vi": Template(
            subject="Xác nhận địa chỉ email của bạn",
            body=(
                "Xin chào {username},\n\nVui lòng xác nhận đây là địa chỉ email của bạn bằng cách mở liên kết "
                "này:\n\n{link}\n\nLiên kết có hiệu lực trong {valid_for}. Bạn có thể xem sách và thêm vào giỏ "
                "hàng trước, nhưng chỉ có thể đặt hàng sau khi đã xác nhận địa chỉ.\n\n"
                "Nếu bạn không đăng ký tại nhà sách, hãy bỏ qua email này."
            ),
        ),
    },
    "account.password_reset_requested": {
        "en": Template(
            subject="Reset your password",
            body=(
                "Hello {username},\n\nSomeone asked to reset the password of your bookstore account. To choose "
                "a new one, open this link:\n\n{link}\n\nThe link works once, for {valid_for}. Setting a new "
                "password logs you out everywhere.\n\n"
                "If you did not ask for this, ignore this email: your password stays as it is."
            ),
        ),
        "vi": Template(
            subject="Đặt lại mật khẩu của bạn",
            body=(
                "Xin chào {username},\n\nCó người đã yêu cầu đặt lại mật khẩu tài khoản nhà sách của bạn. Để "
                "chọn mật khẩu mới, hãy mở liên kết này:\n\n{link}\n\nLiên kết chỉ dùng được một lần, trong "
                "{valid_for}. Đặt mật khẩu mới sẽ đăng xuất bạn khỏi mọi thiết bị.\n\n"
                "Nếu bạn không yêu cầu, hãy bỏ qua email này: mật khẩu của bạn vẫn giữ nguyên."
            ),
        ),
    },
    "customer.created": {
        "en": Template(
            subject="Your customer profile is ready",
            body="Hello {full_name},\n\nYour customer profile and your cart are ready: you can order now.",
        ),
        "vi": Template(
            subject="Hồ sơ khách hàng của bạn đã sẵn sàng",
            body="Xin chào {full_name},\n\nHồ sơ khách hàng và giỏ hàng của bạn đã sẵn sàng: bạn có thể đặt hàng ngay.",
        ),
    },
}

EVENT_TYPES = tuple(TEMPLATES)
# Their link is for the account's owner only: emailed, never shown in the app, and taken
# out of the stored body once the email is sent or given up (EMAIL_ONLY_BODY_AFTER).
EMAIL_ONLY = frozenset({"account.verification_requested", "account.password_reset_requested"})
EMAIL_ONLY_BODY_AFTER = "(This email held a one-time link; it is not kept once the email is sent.)"

# (minutes in the unit, its name when 1, when more) from the largest.
DURATION_UNITS = {
    "en": ((24 * 60, "day", "days"), (60, "hour", "hours"), (1, "minute", "minutes")),
    "vi": ((24 * 60, "ngày", "ngày"), (60, "giờ", "giờ"), (1, "phút", "phút")),
}


def _labelled(labels: dict[str, str], value: str) -> str:
    return labels.get(value, value)  # a value added later still reads as itself


def _context(payload: dict, language: str) -> dict:
    context = dict(payload)
    if "lines" in payload:
        context["lines"] = "\n".join(
            f"  {line['quantity']} x {line['title'] or '#' + str(line['product_id'])}: {line['line_total']}"
            for line in payload["lines"]
        )
    for field in ("from_status", "to_status"):
        if field in payload:
            context[f"{field}_label"] = _labelled(STATUS_LABELS[language], payload[field])
    if "method" in payload:
        context["method_label"] = _labelled(METHOD_LABELS[language], payload["method"])
    if "valid_minutes" in payload:
        context["valid_for"] = duration(payload["valid_minutes"], language)
    if "first_name" in payload:
        name = " ".join(part for part in (payload["first_name"], payload["last_name"]) if part)
        context["full_name"] = name or NAMELESS[language]
    return context


def duration(minutes: int, language: str) -> str:
    """ "3 days", "1 hour", "90 minutes": the largest unit the time is a whole number of."""
    size, one, many = next(unit for unit in DURATION_UNITS[language] if minutes % unit[0] == 0)  # minutes last
    count = minutes // size
    return f"{count} {one if count == 1 else many}"


def render(*, event_type: str, language: str, payload: dict) -> tuple[str, str]:
    """(subject, body) of `event_type`'s notification from its validated payload."""
    template = TEMPLATES[event_type][language]
    context = _context(payload, language)
    subject = template.subject.format_map(context)
    return subject[:SUBJECT_MAX_LENGTH], template.body.format_map(context)
