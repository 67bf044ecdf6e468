"""common.access_log: one line per request, with the request id, whatever the answer."""

import logging

import pytest
from django.test import Client

from common.auth import mint_access_token


def access_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "access"]


def test_one_line_per_request_with_status_time_and_request_id(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="access"):
        api_client.get("/request-id/?page=2", HTTP_X_REQUEST_ID="trace-21")
    [record] = access_lines(caplog)
    method, path, status, ms = record.getMessage().split(" ")
    assert (method, path, status) == ("GET", "/request-id/", "status=200")
    assert float(ms.removeprefix("ms=")) >= 0
    assert record.request_id == "trace-21"


@pytest.mark.parametrize(("path", "status"), [("/whoami/", 401), ("/no-such-route/", 404), ("/boom/", 500)])
def test_errors_are_logged_with_their_status(caplog, path, status):
    client = Client(raise_request_exception=False)
    token = mint_access_token(user_id=5, username="user5") if status != 401 else None
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with caplog.at_level(logging.INFO, logger="access"):
        client.get(path, **headers)
    [record] = access_lines(caplog)
    assert f" status={status} " in record.getMessage()


def test_nothing_is_written_above_info(api_client, caplog):
    with caplog.at_level(logging.WARNING, logger="access"):
        api_client.get("/request-id/")
    assert access_lines(caplog) == []
