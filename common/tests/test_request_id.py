"""common.request_id: one id per request, seen by the code inside it and written on every log line."""

import logging

import pytest

from common.request_id import RequestIdLogFilter, accept_request_id, current_request_id


def test_code_inside_the_request_sees_the_response_header(api_client):
    response = api_client.get("/request-id/")

    assert response.status_code == 200
    assert response.json()["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32


def test_callers_id_is_used_inside_the_request(api_client):
    response = api_client.get("/request-id/", HTTP_X_REQUEST_ID="trace-9")

    assert response.json()["request_id"] == "trace-9"
    assert response["X-Request-ID"] == "trace-9"


def test_id_is_cleared_after_the_request(api_client):
    api_client.get("/request-id/")

    assert current_request_id.get() is None


def test_each_request_gets_its_own_id(api_client):
    first = api_client.get("/request-id/")["X-Request-ID"]
    second = api_client.get("/request-id/")["X-Request-ID"]

    assert first != second


@pytest.mark.parametrize("candidate", [None, "", "has space", "x" * 129, "new\nline", "semi;colon"])
def test_unsafe_ids_are_replaced(candidate):
    replaced = accept_request_id(candidate)

    assert replaced != candidate
    assert len(replaced) == 32


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdLogFilter())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def view_log():
    handler = _Records()
    logger = logging.getLogger("tests.views")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_log_lines_inside_a_request_carry_its_id(api_client, view_log):
    response = api_client.get("/request-id/")

    assert [record.getMessage() for record in view_log] == ["inside the request"]
    assert view_log[0].request_id == response["X-Request-ID"]


def make_record():
    return logging.LogRecord("x", logging.INFO, __file__, 1, "message", None, None)


def test_log_filter_outside_a_request_is_a_dash():
    record = make_record()

    assert RequestIdLogFilter().filter(record) is True
    assert record.request_id == "-"


def test_log_filter_uses_the_current_id():
    record = make_record()
    token = current_request_id.set("trace-5")
    try:
        RequestIdLogFilter().filter(record)
    finally:
        current_request_id.reset(token)

    assert record.request_id == "trace-5"


def test_logging_settings_put_the_id_in_every_line(settings):
    logging_config = settings.LOGGING

    assert "%(request_id)s" in logging_config["formatters"]["line"]["format"]
    assert logging_config["handlers"]["stdout"]["filters"] == ["request_id"]
    assert logging_config["filters"]["request_id"]["()"] == "common.request_id.RequestIdLogFilter"
