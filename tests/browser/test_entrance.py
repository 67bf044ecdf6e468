"""The one entrance: a staff member logs in once at the gateway's /admin/, opens every
service's admin from there (styled, through the gateway), works in one, and logs out
of all of them at once."""

import uuid

import pytest
import requests

from common.registry import SERVICES

SERVICES_WITH_ADMIN = [name for name in SERVICES if name != "gateway"]


def test_the_home_page_links_every_services_admin_with_its_health(logged_in):
    office = logged_in
    office.open("/admin/")
    rows = {row.get_attribute("data-service"): row.text for row in office.find_all("#services tbody tr")}
    assert list(rows) == SERVICES_WITH_ADMIN
    assert all("ready" in text and "not ready" not in text for text in rows.values()), rows


@pytest.mark.parametrize("service", SERVICES_WITH_ADMIN)
def test_every_services_admin_opens_from_the_home_page_styled(logged_in, service):
    office = logged_in
    office.open_admin(service)

    assert office.path == f"/admin/{service}/"
    assert "dashboard" in (office.find("body").get_attribute("class") or "")  # the admin's index page
    assert "CHIEF" in office.find("#user-tools").text.upper()
    stylesheet = f"/admin/{service}/static/admin/css/base.css"
    assert any(url.endswith(stylesheet) for url in office.stylesheet_urls()), office.stylesheet_urls()
    assert office.resource_status(stylesheet) == 200
    # The admin's own links stay under the prefix.
    hrefs = [link.get_attribute("href") or "" for link in office.find_all("#content-main a")]
    assert hrefs, "the index lists the service's models"
    assert all(f"/admin/{service}/" in href for href in hrefs), hrefs


def test_an_author_is_created_through_the_book_admin(logged_in, stack):
    office = logged_in
    name = f"Nam Cao {uuid.uuid4().hex[:6]}"
    office.open_model("book", "catalog", "author")
    office.click(office.find(".object-tools a.addlink"))
    assert office.path == "/admin/book/catalog/author/add/"

    office.fill(name=name, email=f"{name.replace(' ', '.').lower()}@example.com", address="Hà Nam")
    office.save()  # a form post through the gateway, with the book service's CSRF token

    assert office.path == "/admin/book/catalog/author/", office.errors()
    assert any(name in message and "added successfully" in message for message in office.messages())
    found = requests.get(f"{stack.gateway}/api/authors/", params={"name": name}, timeout=30)
    assert [author["name"] for author in found.json()["results"]] == [name]


def test_an_admin_action_runs_on_the_ticked_rows_through_the_gateway(logged_in):
    office = logged_in
    names = [f"Packers {uuid.uuid4().hex[:6]}", f"Pickers {uuid.uuid4().hex[:6]}"]
    for name in names:
        office.open("/admin/inventory/auth/group/add/")
        office.fill(name=name)
        office.save()
        assert office.path == "/admin/inventory/auth/group/", office.errors()
    office.open_model("inventory", "auth", "group", query=f"q={names[0]}")
    [group_id] = office.row_ids()

    office.run_action("delete_selected", ids=[group_id])
    assert "Are you sure you want to delete the selected group?" in office.find("#content").text
    office.click(office.find("#content form [type=submit]"))

    assert office.messages() == ["Successfully deleted 1 group."]
    office.open_model("inventory", "auth", "group", query="q=ers")
    assert [row.text for row in office.find_all("#result_list tbody th")] == [names[1]]


def test_logging_out_logs_out_of_every_admin(logged_in):
    office = logged_in
    office.open_admin("order")
    office.click(office.find("#logout-form button"))  # the order admin's own "Log out"
    assert office.path == "/admin/logout/"  # the gateway asks first
    office.click(office.find("#confirm-logout"))

    assert office.path == "/admin/login/?logged_out=1"
    assert not office.is_logged_in
    for service in ("inventory", "payment"):
        office.open(f"/admin/{service}/")
        assert office.path == f"/admin/login/?next=%2Fadmin%2F{service}%2F"
        assert office.find("#login-form")
