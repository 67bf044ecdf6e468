from django.core.management import call_command


def test_the_openapi_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/orders/{order_id}/" in (tmp_path / "schema.yml").read_text()


def test_checkout_and_status_changes_document_their_conflicts(api_client, db):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert {"201", "409", "422", "503", "504"} <= set(paths["/api/orders/"]["post"]["responses"])
    assert {"404", "409"} <= set(paths["/api/orders/{order_id}/"]["patch"]["responses"])
