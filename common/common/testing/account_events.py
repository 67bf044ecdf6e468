"""account.deleted and account.deactivated as customer_service sends them, for the suites
of the services that hear them (common.revocation)."""

import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone

from common.auth import mint_access_token


def account_event(event_type: str, user_id: int) -> dict[str, Any]:
    """The envelope of account.deleted or account.deactivated of `user_id`, happening now."""
    moment = {"account.deleted": "deleted_at", "account.deactivated": "deactivated_at"}[event_type]
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "customer",
        "payload": {"user_id": user_id, moment: timezone.now().isoformat()},
    }


def token_from_before(user_id: int, *, is_staff: bool = False) -> str:
    """An access token of `user_id` issued a minute ago, before an event made now."""
    from rest_framework_simplejwt.tokens import AccessToken

    minted = mint_access_token(user_id=user_id, username=f"user{user_id}", is_staff=is_staff)
    token = AccessToken(minted)  # type: ignore[arg-type]  # simplejwt types the encoded token as a Token
    token.set_iat(at_time=timezone.now() - timedelta(minutes=1))
    return str(token)


def hear(service_client: Any, event_type: str, user_id: int, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """The service hears the event (as its outbox delivers it, committed); its answer."""
    with django_capture_on_commit_callbacks(execute=True):
        response = service_client.post("/api/events/", account_event(event_type, user_id), format="json")
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer
