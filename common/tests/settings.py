"""Settings of the common library's own suite: a service named book with only the outbox, idempotency and
revocation apps."""

from pathlib import Path

from common.settings import service_settings

globals().update(
    service_settings(
        "book",
        base_dir=Path(__file__).resolve().parent.parent,
        apps=["common.outbox", "common.idempotency", "common.revocation"],
    )
)

ROOT_URLCONF = "tests.urls"
# Its own test database, so it can run beside book_service's suite on one PostgreSQL server.
DATABASES["default"]["TEST"] = {"NAME": "test_bookstore_common"}  # type: ignore[name-defined]  # noqa: F821 (set by service_settings)
