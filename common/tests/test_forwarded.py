"""common.forwarded: X-Forwarded-* believed from TRUSTED_PROXIES only."""

import pytest
from django.test import Client

from common.forwarded import believed_client, client_address, trusted_networks

GATEWAY = "127.0.0.1"
PROXIES = trusted_networks(("127.0.0.1", "10.0.0.0/8", "::1"))


def get(remote_addr: str, **headers):
    return Client().get("/client/", REMOTE_ADDR=remote_addr, **headers).json()


def test_a_trusted_proxy_names_the_client_host_and_scheme():
    seen = get(
        GATEWAY,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_X_FORWARDED_HOST="localhost:1000",
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert seen == {"address": "203.0.113.7", "url": "https://localhost:1000/client/"}


def test_a_client_naming_itself_is_not_believed():
    seen = get(
        "198.51.100.4",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_X_FORWARDED_HOST="evil.example",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_FORWARDED="for=203.0.113.7",
    )

    assert seen == {"address": "198.51.100.4", "url": "http://testserver/client/"}


def test_a_trusted_proxy_without_the_headers_is_the_client():
    assert get(GATEWAY)["address"] == GATEWAY


def test_the_proxies_are_a_setting(settings):
    settings.TRUSTED_PROXIES = ["192.0.2.0/24"]

    assert get("192.0.2.9", HTTP_X_FORWARDED_FOR="203.0.113.7")["address"] == "203.0.113.7"
    assert get(GATEWAY, HTTP_X_FORWARDED_FOR="203.0.113.7")["address"] == GATEWAY


def test_nothing_is_trusted_when_the_setting_is_empty(settings):
    settings.TRUSTED_PROXIES = []

    assert get(GATEWAY, HTTP_X_FORWARDED_FOR="203.0.113.7")["address"] == GATEWAY


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        pytest.param("203.0.113.7", "203.0.113.7", id="one hop"),
        pytest.param("6.6.6.6, 203.0.113.7", "203.0.113.7", id="the client's own entry is skipped"),
        pytest.param("6.6.6.6, 203.0.113.7, 10.1.2.3", "203.0.113.7", id="through two proxies of ours"),
        pytest.param("10.9.9.9, 10.1.2.3", "10.9.9.9", id="all ours: the first"),
        pytest.param("not-an-address, 10.1.2.3", "10.1.2.3", id="garbage stops the walk"),
        pytest.param("203.0.113.7, garbage", "127.0.0.1", id="garbage from the peer: the peer"),
        pytest.param(" 2001:db8::1 ", "2001:db8::1", id="ipv6"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_proxy_of_ours(forwarded_for, client):
    assert client_address("127.0.0.1", forwarded_for, PROXIES) == client


def test_a_wrong_entry_in_the_setting_is_an_error():
    with pytest.raises(ValueError, match="not-a-network"):
        trusted_networks(("127.0.0.1", "not-a-network"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        pytest.param("198.51.100.4", "203.0.113.7", None, id="not a proxy of ours"),
        pytest.param("", "203.0.113.7", None, id="no peer"),
        pytest.param(GATEWAY, "", GATEWAY, id="a proxy of ours, no chain: the peer"),
        pytest.param(GATEWAY, "6.6.6.6, 203.0.113.7", "203.0.113.7", id="a proxy of ours: its chain"),
    ],
)
def test_the_believed_client_is_the_same_asked_again(peer, forwarded_for, client):
    entries = ("127.0.0.1", "::1")

    assert believed_client(peer, forwarded_for, entries) == client
    assert believed_client(peer, forwarded_for, entries) == client  # kept


def test_a_wrong_entry_in_the_setting_fails_every_request(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "not-a-network"]

    for _ in range(2):
        with pytest.raises(ValueError, match="not-a-network"):
            get(GATEWAY, HTTP_X_FORWARDED_FOR="203.0.113.7")
