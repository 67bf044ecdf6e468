"""book_service holds nothing personal: account.deleted and account.deactivated only make
the account's tokens refused here (staff writes included)."""

import pytest

from common.testing.account_events import hear, token_from_before
from common.testing.plugin import bearer_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("event_type", ["account.deleted", "account.deactivated"])
def test_a_deactivated_or_deleted_staff_account_writes_no_more(
    service_client, django_capture_on_commit_callbacks, event_type
):
    staff = bearer_client(token_from_before(9, is_staff=True))
    assert staff.post("/api/categories/", {"name": "Before"}, format="json").status_code == 201

    assert hear(service_client, event_type, 9, django_capture_on_commit_callbacks)["status"] == "processed"

    refused = staff.post("/api/categories/", {"name": "After"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_not_valid")
