"""CatalogWord: the words of the catalog's folded titles and author names, filled from
the rows already there; on PostgreSQL, the trigram GiST index with which suggestions
correct a misspelt word to the nearest of them (catalog/words.py)."""

import re

from django.db import migrations, models

WORD = re.compile(r"\w+")  # as catalog.words, which a migration must not import


def words_of_the_catalog(apps, schema_editor):
    texts = [
        *apps.get_model("catalog", "Book").objects.values_list("title_folded", flat=True).iterator(),
        *apps.get_model("catalog", "Author").objects.values_list("name_folded", flat=True).iterator(),
    ]
    words = {w for text in texts for w in WORD.findall(text) if not w.isdigit() and len(w) <= 100}
    word_model = apps.get_model("catalog", "CatalogWord")
    word_model.objects.bulk_create([word_model(word=w) for w in sorted(words)], ignore_conflicts=True, batch_size=5000)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS catalog_catalogword_trgm ON catalog_catalogword USING gist (word gist_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_catalogword_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_book_cover")]

    operations = [
        migrations.CreateModel(
            name="CatalogWord",
            fields=[("word", models.CharField(max_length=100, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(words_of_the_catalog, drop_index),
    ]
