"""GET /api/notifications/ (owner or staff) and POST /api/notifications/{id}/read/ (owner)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from common.testing.platform_tests import assert_not_found_alike
from notifications import selectors
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_customer_lists_their_own_newest_first_with_the_unread_count(user_client, make_notification):
    older = make_notification(user_id=5, event_type="order.created")
    newer = make_notification(user_id=5, event_type="payment.succeeded")
    read = make_notification(user_id=5, event_type="order.status_changed", read_at=timezone.now())
    make_notification(user_id=6)

    body = user_client(5).get("/api/notifications/").json()

    assert [n["id"] for n in body["results"]] == [read.pk, newer.pk, older.pk]
    assert (body["count"], body["unread_count"]) == (3, 2)
    first = body["results"][1]
    assert first["subject"] == "Payment received for order #12"
    assert (first["event_type"], first["read"], first["email_state"], first["user_id"]) == (
        "payment.succeeded",
        False,
        "pending",
        5,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the SQLite test database is in shared-cache memory, which locks by table"
)  # common's test_db shows SQLite's snapshot on a file, as the services run it
def test_a_notification_arriving_while_the_list_is_read_is_in_none_of_its_counts(
    user_client, make_notification, monkeypatch
):
    make_notification(user_id=5)
    counted = selectors.notification_unread_count

    def unread_count_then_a_new_one_arrives(*, user_id):
        unread = counted(user_id=user_id)
        arrival = threading.Thread(target=lambda: (make_notification(user_id=5), connection.close()))
        arrival.start()
        arrival.join(10)
        return unread

    monkeypatch.setattr(selectors, "notification_unread_count", unread_count_then_a_new_one_arrives)

    body = user_client(5).get("/api/notifications/").json()

    assert (body["count"], body["unread_count"], len(body["results"])) == (1, 1, 1)
    assert user_client(5).get("/api/notifications/").json()["count"] == 2  # it arrived, for the next read


def test_only_unread_ones_when_asked(user_client, make_notification):
    unread = make_notification(user_id=5)
    make_notification(user_id=5, read_at=timezone.now())

    body = user_client(5).get("/api/notifications/?unread=true").json()

    assert [n["id"] for n in body["results"]] == [unread.pk]
    assert body["unread_count"] == 1


def test_user_id_of_the_caller_is_allowed_and_anyone_elses_is_403(user_client, make_notification):
    make_notification(user_id=5)

    assert user_client(5).get("/api/notifications/?user_id=5").json()["count"] == 1
    response = user_client(6).get("/api/notifications/?user_id=5")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_staff_list_anyones_by_user_id_and_must_name_one(staff_client, make_notification):
    make_notification(user_id=5)

    assert staff_client.get("/api/notifications/?user_id=5").json()["count"] == 1
    response = staff_client.get("/api/notifications/")
    assert response.status_code == 400
    assert "user_id" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "query", ["user_id=x", "user_id=0", f"user_id={2**70}", "unread=maybe", "unread=", "user_id=", "user_id=1e3"]
)
def test_bad_queries_are_400_naming_the_field(staff_client, query):
    response = staff_client.get(f"/api/notifications/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_a_page_past_the_end_is_404(user_client, make_notification):
    make_notification(user_id=5)

    assert user_client(5).get("/api/notifications/?page=9").status_code == 404


def test_no_token_is_401(api_client):
    assert api_client.get("/api/notifications/?user_id=5").status_code == 401
    assert api_client.post("/api/notifications/1/read/").status_code == 401


def test_the_owner_marks_one_read_once(user_client, make_notification):
    notification = make_notification(user_id=5)
    other = make_notification(user_id=5)
    client = user_client(5)

    first = client.post(f"/api/notifications/{notification.pk}/read/")
    read_at = Notification.objects.get(pk=notification.pk).read_at
    again = client.post(f"/api/notifications/{notification.pk}/read/")

    assert first.status_code == again.status_code == 200
    assert first.json()["read"] is True
    assert Notification.objects.get(pk=notification.pk).read_at == read_at  # the first reading is kept
    assert client.get("/api/notifications/").json()["unread_count"] == 1
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_someone_elses_notification_is_a_404_like_none_for_users_and_403_for_staff_and_services(
    user_client, staff_client, service_client, make_notification
):
    notification = make_notification(user_id=5)

    assert_not_found_alike(
        user_client(6).post(f"/api/notifications/{notification.pk}/read/"),
        user_client(6).post(f"/api/notifications/{notification.pk + 1000}/read/"),
    )
    for client in (staff_client, service_client):  # they may see it (lists), but only its owner reads it
        assert client.post(f"/api/notifications/{notification.pk}/read/").status_code == 403
    assert Notification.objects.get(pk=notification.pk).read_at is None


@pytest.mark.parametrize("notification_id", ["424242", str(2**63 - 1), str(2**64), "abc", "-1", "0"])
def test_an_unknown_or_impossible_id_is_404(user_client, notification_id):
    response = user_client(5).post(f"/api/notifications/{notification_id}/read/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] in {"unknown_notification", "not_found"}


def test_the_schema_documents_the_routes(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    assert {"/api/notifications/", "/api/notifications/{notification_id}/read/", "/api/events/"} <= set(schema["paths"])
    listing = schema["paths"]["/api/notifications/"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = listing["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "unread_count" in schema["components"]["schemas"][ref]["properties"]
