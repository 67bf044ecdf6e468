"""Settings of the book service: authors, categories, books."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("book", base_dir=Path(__file__).resolve().parent.parent, apps=["catalog"]))
