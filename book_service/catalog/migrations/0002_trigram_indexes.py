"""On PostgreSQL, trigram GIN indexes over the folded search columns, so
`LIKE '%term%'` searches use an index at 100,000 books. SQLite has no such index
and runs the same queries by scanning."""

from django.db import migrations

INDEXES = {
    "catalog_book_title_trgm": ("catalog_book", "title_folded"),
    "catalog_author_name_trgm": ("catalog_author", "name_folded"),
    "catalog_category_name_trgm": ("catalog_category", "name_folded"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
