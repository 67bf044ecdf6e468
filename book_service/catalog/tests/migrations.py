"""Books written at an older migration of the catalog, then the catalog migrated to its
latest: for the tests of a migration that must keep (or read) the rows already there."""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def books_before(migration: str, titles: dict[str, str], *, author: tuple[str, str] = ("A", "a")) -> None:
    """The catalog migrated back to `migration`, books {title: folded title} written by one
    author (name, folded name) as that migration's models make them, then migrated to the
    latest again."""
    executor = MigrationExecutor(connection)
    before = [("catalog", migration)]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    name, folded = author
    writer = old.get_model("catalog", "Author").objects.create(name=name, name_folded=folded, email="a@example.com")
    category = old.get_model("catalog", "Category").objects.create(name="C", name_key="c", name_folded="c")
    for title, title_folded in titles.items():
        old.get_model("catalog", "Book").objects.create(
            title=title,
            title_folded=title_folded,
            author=writer,
            category=category,
            published_date=datetime.date(2000, 1, 1),
            price=Decimal("1.00"),
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("catalog"))
