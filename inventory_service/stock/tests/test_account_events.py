"""inventory_service holds nothing personal: account.deleted and account.deactivated only
make the account's tokens refused here (staff writes included)."""

import pytest

from common.testing.account_events import account_event, hear, token_from_before
from common.testing.plugin import bearer_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("event_type", ["account.deleted", "account.deactivated"])
def test_a_deactivated_or_deleted_staff_account_reads_the_warehouse_no_more(
    service_client, django_capture_on_commit_callbacks, event_type
):
    staff = bearer_client(token_from_before(9, is_staff=True))
    assert staff.get("/api/warehouse/").status_code in (200, 404)  # taken: answered, with a warehouse or not

    hear(service_client, event_type, 9, django_capture_on_commit_callbacks)

    refused = staff.get("/api/warehouse/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_not_valid")


def test_only_services_post_account_events(user_client, staff_client):
    event = account_event("account.deactivated", 5)
    assert user_client(5).post("/api/events/", event, format="json").status_code == 403
    assert staff_client.post("/api/events/", event, format="json").status_code == 403
