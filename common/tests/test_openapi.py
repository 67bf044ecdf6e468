"""common.openapi: every schema documents the common error answers its operations can give."""

from common.openapi import ERROR_SCHEMA_NAME, add_error_responses

ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}


def schema_with(paths: dict) -> dict:
    return add_error_responses({"paths": paths, "components": {"schemas": {}}}, None, None, True)


def test_a_read_without_input_may_be_refused_but_not_invalid():
    result = schema_with({"/api/me/": {"get": {"responses": {"200": {"description": ""}}}}})

    responses = result["paths"]["/api/me/"]["get"]["responses"]
    assert set(responses) == {"200", "401", "403", "431"}
    assert responses["401"]["content"]["application/json"]["schema"] == ERROR_REF
    assert "text/plain" in responses["431"]["content"]  # waitress's own page
    assert responses["431"]["content"]["application/json"]["schema"] == ERROR_REF  # common.limits'
    assert result["components"]["schemas"][ERROR_SCHEMA_NAME]["required"] == ["error"]


def test_a_write_with_a_body_and_an_id_may_be_invalid_missing_or_not_json():
    operation = {"requestBody": {}, "responses": {"200": {"description": ""}}}
    path_item = {"parameters": [{"in": "path", "name": "id"}], "patch": operation}

    responses = schema_with({"/api/books/{id}/": path_item})["paths"]["/api/books/{id}/"]["patch"]["responses"]

    assert {"400", "401", "403", "404", "413", "415"} <= set(responses)
    assert set(responses["413"]["content"]) == {"application/json", "text/plain"}


def test_a_paginated_list_may_have_no_such_page():
    operation = {"parameters": [{"in": "query", "name": "page"}], "responses": {}}

    responses = schema_with({"/api/books/": {"get": operation}})["paths"]["/api/books/"]["get"]["responses"]

    assert {"400", "404"} <= set(responses)
    assert "415" not in responses


def test_answers_a_view_documents_itself_are_kept():
    own = {"description": "the view's own", "content": {}}
    operation = {"requestBody": {}, "responses": {"201": {"description": ""}, "400": own}}

    responses = schema_with({"/api/orders/": {"post": operation}})["paths"]["/api/orders/"]["post"]["responses"]

    assert responses["400"] is own


def test_an_error_a_view_documents_without_a_body_has_the_error_shape():
    operation = {"requestBody": {}, "responses": {"201": {"description": ""}, "409": {"description": "taken"}}}

    responses = schema_with({"/api/authors/": {"post": operation}})["paths"]["/api/authors/"]["post"]["responses"]

    assert responses["409"] == {"description": "taken", "content": {"application/json": {"schema": ERROR_REF}}}
    assert "content" not in responses["201"]


def test_every_service_schema_documents_the_errors(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    assert ERROR_SCHEMA_NAME in schema["components"]["schemas"]
    assert {"400", "401", "403", "404", "431"} <= set(schema["paths"]["/carts/{user_id}/"]["get"]["responses"])
