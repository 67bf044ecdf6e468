from django.core.management import call_command


def test_the_openapi_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/orders/{order_id}/" in (tmp_path / "schema.yml").read_text()
