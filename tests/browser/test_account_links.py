"""The links of the account emails, followed in a real browser as a person would: the
email that reached the suite's SMTP server opens the gateway's page, a click confirms
the address; a forgotten password is changed on the page the reset email links to."""

import jwt
import requests

from tests.e2e.people import RESET_SUBJECT, VERIFY_SUBJECT, emailed_url, log_in, sign_up

NEW_PASSWORD = "a-new-browser-passphrase"


def claims(access: str) -> dict:
    return jwt.decode(access, options={"verify_signature": False})


def test_the_verification_link_opens_a_page_whose_button_confirms_the_email(office, stack, http):
    user = sign_up(stack, http, "browserverify", verified=False)
    link = emailed_url(stack, user["email"], VERIFY_SUBJECT)
    assert link.startswith(f"{stack.gateway}/verify-email/?token=")

    office.driver.get(link)
    office.wait_loaded()
    assert office.title == "Confirm your email address"
    office.click(office.find("form button[type=submit]"))

    assert "Your email address is confirmed" in office.find("#outcome").text
    renewed = http.post(f"{stack.gateway}/api/auth/refresh/", json={"refresh": user["refresh"]}, timeout=30)
    assert claims(renewed.json()["access"])["email_verified"] is True


def test_a_forgotten_password_is_changed_on_the_page_the_email_links_to(office, stack, http):
    user = sign_up(stack, http, "browserreset")
    asked = requests.post(f"{stack.gateway}/api/auth/password-reset/", json={"email": user["email"]}, timeout=30)
    assert asked.status_code == 202
    link = emailed_url(stack, user["email"], RESET_SUBJECT)

    office.driver.get(link)
    office.wait_loaded()
    office.find("#id_new_password").send_keys(NEW_PASSWORD)
    office.find("#id_repeated").send_keys(NEW_PASSWORD)
    office.click(office.find("form button[type=submit]"))

    assert "Your password is changed" in office.find("#outcome").text
    assert log_in(stack, http, user["username"], password=NEW_PASSWORD).status_code == 200
    office.driver.get(link)  # the link again: used
    office.wait_loaded()
    office.find("#id_new_password").send_keys("x" + NEW_PASSWORD)
    office.find("#id_repeated").send_keys("x" + NEW_PASSWORD)
    office.click(office.find("form button[type=submit]"))
    assert "not valid" in office.find("#outcome").text
