"""customer_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from composite.peer import peer_json

SERVICE = "customer"
ACCOUNT = {"id": int, "username": str}
CUSTOMER = {"id": int, "account_id": int}


def account_get(*, user_id: int, token: str) -> dict | None:
    """The caller's account, or None when it is gone (deleted after the token was issued)."""
    response = client_for(SERVICE).get(f"/api/accounts/{user_id}/", token=token)
    return None if response.status_code == 404 else peer_json(response, service=SERVICE, shape=ACCOUNT)


def customer_for_account(*, user_id: int, token: str) -> dict | None:
    """The account's customer profile (full name, address), or None before it has one."""
    response = client_for(SERVICE).get(f"/api/accounts/{user_id}/customer/", token=token)
    return None if response.status_code == 404 else peer_json(response, service=SERVICE, shape=CUSTOMER)
