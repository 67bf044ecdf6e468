"""The accounts' admin: accounts made, deactivated, reactivated and deleted through
accounts.services, with the API's rules and events."""

import pytest

from accounts.models import Account
from common.outbox.models import OutboxEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNTS = "/admin/accounts/account/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def created_rows() -> list[tuple]:
    return sorted(
        (event.event_type, tuple(sorted(event.payload)), tuple(sorted(d.target for d in event.deliveries.all())))
        for event in OutboxEvent.objects.filter(event_type="account.created")
    )


def log_in(api_client, username: str) -> int:
    return api_client.post("/api/auth/login/", {"username": username, "password": PASSWORD}).status_code


def test_an_account_made_in_the_admin_is_signed_up_by_the_service_with_its_event(admin_client, api_client):
    OutboxEvent.objects.all().delete()  # the admin's own account's
    body = {"username": "ann", "email": "Ann@Example.com", "password1": PASSWORD, "password2": PASSWORD}

    assert admin_client.post(f"{ACCOUNTS}add/", body).status_code == 302
    by_admin = created_rows()
    OutboxEvent.objects.all().delete()
    api_client.post("/api/accounts/", {"username": "bob", "email": "bob@example.com", "password": PASSWORD})

    ann = Account.objects.get(username="ann")
    assert ann.email == "ann@example.com"  # stored lower-case, as the service does
    assert ann.check_password(PASSWORD)
    assert by_admin == created_rows() != []
    assert log_in(api_client, "ann") == 200


def test_an_email_taken_in_another_case_is_refused_on_the_form(admin_client, make_account):
    make_account("ann", email="ann@example.com")
    body = {"username": "other", "email": "ANN@example.com", "password1": PASSWORD, "password2": PASSWORD}

    response = admin_client.post(f"{ACCOUNTS}add/", body)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"__all__": ["An account with this email already exists."]}
    assert not Account.objects.filter(username="other").exists()


def test_a_refusal_of_the_service_itself_is_shown_next_to_its_field(admin_client, monkeypatch):
    """A sign-up racing the form's own checks is the service's to refuse (409 in the API)."""
    from accounts import services

    real_create = services.account_create

    def create_after_a_race(**fields):
        real_create(username="racer", email=fields["email"], password=PASSWORD)
        return real_create(**fields)

    monkeypatch.setattr(services, "account_create", create_after_a_race)
    body = {"username": "late", "email": "same@example.com", "password1": PASSWORD, "password2": PASSWORD}

    response = admin_client.post(f"{ACCOUNTS}add/", body)

    assert response.context["adminform"].form.errors == {"email": ["An account with this email already exists."]}
    assert not Account.objects.filter(username__in=["late", "racer"]).exists()  # the race's account rolled back too


def test_deactivated_accounts_cannot_log_in_until_reactivated(admin_client, api_client, make_account):
    ann, bob = make_account("ann"), make_account("bob")

    def act(action: str):
        body = {"action": action, "_selected_action": [ann.pk, bob.pk]}
        return messages_of(admin_client.post(ACCOUNTS, body, follow=True))

    assert act("deactivate") == [f"Account {ann.pk} (ann): deactivated", f"Account {bob.pk} (bob): deactivated"]
    assert log_in(api_client, "ann") == 401
    assert act("deactivate") == [
        f"Account {ann.pk} (ann): already inactive",
        f"Account {bob.pk} (bob): already inactive",
    ]
    assert act("reactivate")[0] == f"Account {ann.pk} (ann): reactivated"
    assert log_in(api_client, "ann") == 200
    assert Account.objects.filter(pk__in=[ann.pk, bob.pk]).count() == 2  # deactivated, not deleted


def test_the_account_page_offers_deactivate_or_reactivate(admin_client, make_account):
    ann = make_account("ann")
    page = f"{ACCOUNTS}{ann.pk}/change/"

    offered = admin_client.get(page).context["object_buttons"]
    pressed = admin_client.post(f"{ACCOUNTS}{ann.pk}/button/", {"button": "deactivate"}, follow=True)

    assert [button.name for button in offered] == ["deactivate"]
    assert messages_of(pressed) == [f"Account {ann.pk} (ann): deactivated"]
    assert [button.name for button in pressed.context["object_buttons"]] == ["reactivate"]
    body = pressed.content.decode()
    for field in ("username", "email", "is_active"):
        assert f'name="{field}"' not in body  # changed through the services only


def test_an_account_deleted_in_the_admin_goes_with_its_customer_data(admin_client, make_account):
    from customers.models import FullName

    ann = make_account("ann")
    FullName.objects.create(account=ann, first_name="Ann", last_name="Lee")

    response = admin_client.post(f"{ACCOUNTS}{ann.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Account.objects.filter(pk=ann.pk).exists()
    assert not FullName.objects.exists()
