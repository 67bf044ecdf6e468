"""common.access_log: one line per request, with the request id, whatever the answer."""

import logging
import time

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from common import access_log
from common.access_log import log_access
from common.auth import mint_access_token
from common.log_format import OneLineFormatter


def access_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "access"]


def test_one_line_per_request_with_status_time_and_request_id(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="access"):
        api_client.get("/request-id/?page=2", HTTP_X_REQUEST_ID="trace-21")
    [record] = access_lines(caplog)
    method, path, status, ms, client = record.getMessage().split(" ")
    assert (method, path, status, client) == ("GET", "/request-id/", "status=200", "client=127.0.0.1")
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


def test_the_client_is_the_one_the_gateway_names(caplog):
    with caplog.at_level(logging.INFO, logger="access"):
        Client().get("/request-id/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
        Client().get("/request-id/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert [record.getMessage().split(" ")[-1] for record in access_lines(caplog)] == [
        "client=203.0.113.7",
        "client=198.51.100.4",
    ]


def test_a_path_cannot_start_a_line_of_its_own(caplog):
    with caplog.at_level(logging.INFO, logger="access"):
        Client().get("/nothing%0d%0a2026-01-01 INFO [x] access: GET / status=200/")
    [record] = access_lines(caplog)
    assert "\n" not in record.getMessage()
    assert "\r" not in record.getMessage()
    assert "/nothing\\r\\n2026-01-01" in record.getMessage()


def test_the_line_is_the_one_logger_info_would_write(caplog, settings):
    """log_access makes its record itself (common.access_log): through the configured
    formatter it reads as the record logger.info makes of the same arguments."""
    request = RequestFactory().get("/api/books/1/", REMOTE_ADDR="203.0.113.7")
    request.access_log_extra = {"service": "book", "user": "5"}
    with caplog.at_level(logging.INFO, logger="access"):
        log_access(request, HttpResponse(status=201), time.perf_counter())
        [made] = access_lines(caplog)
        logging.getLogger("access").info(made.msg, *made.args)
    [made, by_info] = access_lines(caplog)
    made.request_id = by_info.request_id = "trace-1"
    by_info.created, by_info.msecs = made.created, made.msecs
    formatter = OneLineFormatter(settings.LOGGING["formatters"]["line"]["format"])

    assert formatter.format(made) == formatter.format(by_info)
    assert made.getMessage().startswith("GET /api/books/1/ status=201 ms=")
    assert made.getMessage().endswith(" client=203.0.113.7 service=book user=5")
    assert (made.levelname, made.funcName, made.pathname) == ("INFO", "log_access", access_log.__file__)
