"""customer_service, as the account pages need it: following a verification link and a
password reset link (the public calls a shop's front end makes)."""

from dataclasses import dataclass, field

from common.http import client_for, peer_body

SERVICE = "customer"


@dataclass(frozen=True)
class Refused:
    """customer_service refused it (400): `link_not_valid`, or the field errors of a
    new password too weak."""

    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


def _refusal(response) -> Refused:
    error = peer_body(response, service=SERVICE, shape={"error": dict})["error"]
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    return Refused(code=str(error.get("code", "")), message=str(error.get("message", "")), fields=details)


def email_verify(*, token: str) -> Refused | None:
    """None once the email is verified. Raises DependencyError when customer_service
    cannot answer."""
    response = client_for(SERVICE).post("/api/auth/verify-email/", json={"token": token})
    if response.status_code == 400:
        return _refusal(response)
    peer_body(response, service=SERVICE, shape={"email_verified": bool})
    return None


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> Refused | None:
    """None once the new password is set (the tokens it answers are not kept: the person
    logs in). Raises DependencyError when customer_service cannot answer."""
    body = {"uid": uid, "token": token, "new_password": new_password}
    response = client_for(SERVICE).post("/api/auth/password-reset/confirm/", json=body)
    if response.status_code == 400:
        return _refusal(response)
    peer_body(response, service=SERVICE, shape={"access": str, "refresh": str})
    return None
