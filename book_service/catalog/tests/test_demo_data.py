import pytest
from django.core.management import call_command

from catalog import demo_data
from catalog.models import Author, Book, Category


@pytest.mark.django_db
def test_demo_data_loads_once():
    call_command("load_demo_data")
    call_command("load_demo_data")
    assert Book.objects.count() == len(demo_data.BOOKS)
    assert Author.objects.count() == len(demo_data.AUTHORS)
    assert Category.objects.count() == len(demo_data.CATEGORIES)
    assert Book.objects.get(title="Dế Mèn phiêu lưu ký").title_folded == "de men phieu luu ky"
