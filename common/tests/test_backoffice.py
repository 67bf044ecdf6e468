"""common.backoffice: a service's admin as the gateway's back office forwards it, under
/admin/<service>/ with the staff member's bearer token."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from common.admin_auth import local_staff_user
from common.auth import mint_access_token

pytestmark = pytest.mark.django_db

PREFIX = "/admin/book"
GATEWAY = {"HTTP_X_FORWARDED_HOST": "localhost:1000", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}


def staff_token(**claims):
    return mint_access_token(**{"user_id": 9, "username": "boss", "is_staff": True} | claims)


def through_gateway(token: str | None = None, prefix: str = PREFIX) -> dict[str, str]:
    """The headers the gateway sends (the test client's REMOTE_ADDR, 127.0.0.1, is a trusted proxy)."""
    headers = GATEWAY | {"HTTP_X_FORWARDED_PREFIX": prefix}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return headers


def test_the_admin_index_under_the_prefix_links_and_styles_under_it(client):
    page = client.get("/", **through_gateway(staff_token()))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Site administration" in html
    assert "boss" in html  # the user named in the header is the token's
    links = set(re.findall(r'(?:href|src|action)="(/[^"]*)"', html))
    assert links, html
    outside = {link for link in links if not link.startswith(f"{PREFIX}/")}
    # "View site" is the prefix itself (Django's admin: SCRIPT_NAME), which is the index.
    assert outside == {PREFIX}, "every link, form and static file is under the prefix"
    assert f"{PREFIX}/static/admin/css/base.css" in links
    assert f"{PREFIX}/auth/group/" in links


def test_static_files_are_served_by_their_path_under_the_prefix(client):
    answer = client.get("/static/admin/css/base.css", **through_gateway())
    assert answer.status_code == 200  # whitenoise, before any login: what the port serves too


def test_reverse_and_redirects_use_the_prefix(client):
    headers = through_gateway(staff_token())
    slashless = client.get("/auth/group", **headers)
    assert (slashless.status_code, slashless["Location"]) == (301, f"{PREFIX}/auth/group/")

    add = client.get("/auth/group/add/", **headers)
    assert add.status_code == 200
    forms = re.findall(r"<form[^>]*>", add.content.decode())
    assert f'action="{PREFIX}/logout/"' in forms[0]
    assert "action" not in forms[1]  # posted to the page's own (prefixed) address
    # Outside the request the prefix is gone again: the service's own URLs are unchanged.
    assert reverse("admin:index") == "/admin/"


def test_a_form_posted_through_the_gateway_passes_csrf_and_redirects_under_the_prefix():
    client = Client(enforce_csrf_checks=True)
    headers = through_gateway(staff_token())
    form = client.get("/auth/group/add/", **headers)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())[1]
    assert "book_csrftoken" in client.cookies  # the service's own CSRF cookie name

    saved = client.post(
        "/auth/group/add/",
        {"name": "Shippers", "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN="http://localhost:1000",
        **headers,
    )

    assert saved.status_code == 302, saved.content
    assert saved["Location"] == f"{PREFIX}/auth/group/"
    assert Group.objects.filter(name="Shippers").exists()
    assert "book_messages" in saved.cookies  # "The group ... was added successfully."
    assert "messages" not in saved.cookies


def test_a_form_posted_from_another_origin_is_refused():
    client = Client(enforce_csrf_checks=True)
    headers = through_gateway(staff_token())
    form = client.get("/auth/group/add/", **headers)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())[1]

    refused = client.post(
        "/auth/group/add/",
        {"name": "Shippers", "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN="http://evil.example",
        **headers,
    )

    assert refused.status_code == 403
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not.a.token",
        staff_token(lifetime=timedelta(seconds=-5)),
        staff_token(is_staff=False),
        mint_access_token(user_id=None, username="service:order", is_staff=True, service="order"),
    ],
    ids=["none", "garbage", "expired", "not-staff", "service-token"],
)
def test_without_a_valid_staff_token_the_page_sends_to_the_gateways_login(client, token):
    answer = client.get("/auth/group/?q=a%20b", **through_gateway(token))
    assert answer.status_code == 302
    assert answer["Location"] == "/admin/login/?next=%2Fadmin%2Fbook%2Fauth%2Fgroup%2F%3Fq%3Da%2520b"
    assert not get_user_model().objects.exists()


def test_a_token_signed_with_another_key_is_refused(client):
    import jwt

    forged = jwt.encode(
        {"token_type": "access", "exp": 4102444800, "user_id": 9, "username": "boss", "is_staff": True},
        "another-signing-key-0123456789abcdef",
    )
    assert client.get("/", **through_gateway(forged)).status_code == 302


def test_a_local_user_switched_off_here_is_refused(client):
    get_user_model().objects.create(username="boss", is_active=False)
    assert client.get("/", **through_gateway(staff_token())).status_code == 302


def test_the_admins_login_and_logout_send_to_the_gateways(client):
    headers = through_gateway()
    login = client.get("/login/?next=/admin/book/auth/group/", **headers)
    assert login["Location"] == "/admin/login/?next=%2Fadmin%2Fbook%2Fauth%2Fgroup%2F"
    elsewhere = client.get("/login/?next=https://evil.example/", **headers)
    assert elsewhere["Location"] == "/admin/login/?next=%2Fadmin%2Fbook%2F"
    logout = client.post("/logout/", **through_gateway(staff_token()))
    assert (logout.status_code, logout["Location"]) == (302, "/admin/logout/")


def test_the_prefix_from_anyone_but_a_trusted_proxy_is_ignored(client):
    direct = {"REMOTE_ADDR": "203.0.113.5", **through_gateway(staff_token())}

    # Served as a request to the service's own port: its URLs, its admin login.
    assert client.get("/", **direct).status_code == 404
    admin = client.get("/admin/", **direct)
    assert (admin.status_code, admin["Location"]) == (302, "/admin/login/?next=/admin/")
    assert client.get("/auth/group/", **direct).status_code == 404


def test_a_prefix_that_is_not_a_path_is_refused(client):
    for prefix in ["admin/book", "/admin/book/", "/admin//book", "/admin/<b>"]:
        assert client.get("/", **through_gateway(staff_token(), prefix=prefix)).status_code == 400, prefix


def test_without_the_prefix_the_service_admin_is_unchanged(client):
    # A bearer token alone opens nothing: the service's port keeps its own admin login.
    answer = client.get("/admin/", HTTP_AUTHORIZATION=f"Bearer {staff_token()}")
    assert (answer.status_code, answer["Location"]) == (302, "/admin/login/?next=/admin/")
    page = client.get("/admin/login/")
    assert b'href="/static/admin/css/base.css"' in page.content


def test_the_local_staff_user_is_made_once_and_not_written_again(client, django_assert_max_num_queries):
    client.get("/", **through_gateway(staff_token()))
    user = get_user_model().objects.get()
    assert (user.username, user.is_staff, user.is_superuser, user.has_usable_password()) == (
        "boss",
        True,
        True,
        False,
    )
    with django_assert_max_num_queries(1):
        assert local_staff_user(username="boss", user_id=9) == user  # one read, no write


def test_in_the_accounts_service_the_staff_user_is_the_account_itself(settings):
    settings.SERVICE_NAME = "customer"
    model = get_user_model()
    staff = model.objects.create(username="boss", is_staff=True)
    customer = model.objects.create(username="ann")

    found = local_staff_user(username="whatever-the-token-says", user_id=staff.pk)
    assert found == staff
    assert found.is_superuser  # staff administer the admin, for this request...
    staff.refresh_from_db()
    assert not staff.is_superuser  # ...and the account's own flag is left as it was
    assert local_staff_user(username="ann", user_id=customer.pk) is None  # not staff in its own database
    assert local_staff_user(username="boss", user_id=str(staff.pk)) is None  # ids are numbers in tokens
    model.objects.filter(pk=staff.pk).update(is_active=False)
    assert local_staff_user(username="boss", user_id=staff.pk) is None
