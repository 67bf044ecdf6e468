"""The OpenAPI schema says what the warehouse's routes really answer (checked live by tests/fuzz)."""


def test_the_schema_documents_created_missing_warehouse_and_conflicts(api_client, db):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert {"201", "409"} <= set(paths["/api/warehouse/"]["post"]["responses"])
    assert {"404", "409"} <= set(paths["/api/warehouse/"]["patch"]["responses"])
    assert {"201", "404", "409", "503", "504"} <= set(paths["/api/warehouse/items/"]["post"]["responses"])
    assert {"201", "409"} <= set(paths["/api/warehouse/reservations/"]["post"]["responses"])
    assert "404" in paths["/api/warehouse/capacity/"]["get"]["responses"]
    assert "200" in paths["/api/warehouse/reservations/{reference}/"]["delete"]["responses"]
