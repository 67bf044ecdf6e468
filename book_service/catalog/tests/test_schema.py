"""The OpenAPI schema says what the catalog's writes really answer (checked live by tests/fuzz)."""


def test_the_schema_documents_created_and_conflicts(api_client, db):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert {"201", "409"} <= set(paths["/api/authors/"]["post"]["responses"])
    assert {"201", "409"} <= set(paths["/api/categories/"]["post"]["responses"])
    assert "201" in paths["/api/books/"]["post"]["responses"]
    assert {"204", "404", "409"} <= set(paths["/api/authors/{id}/"]["delete"]["responses"])
    assert {"204", "404", "409"} <= set(paths["/api/categories/{id}/"]["delete"]["responses"])
