import pytest

from tests.outbox_setup import SUBSCRIBER


@pytest.fixture
def outbox_settings(settings):
    """No delivery on commit (the tests dispatch), and thing.happened goes to
    notification_service and to SUBSCRIBER's hook."""
    settings.OUTBOX_FAST_PATH = False
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification", f"{SUBSCRIBER}/hooks/events/"]}
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "notification": "http://127.0.0.1:7000"}
    return settings
