from pathlib import Path

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    label = "common"
    verbose_name = "Bookstore common"
    # This package's folder, said outright: run from the repository's root (the suites'
    # pythonpath), `common` is also the namespace package of the folder holding it, and
    # Django would look for the app's templates (the admin's buttons) there.
    path = str(Path(__file__).resolve().parent)

    def ready(self) -> None:
        from django.urls import register_converter

        from common import checks, openapi_auth  # noqa: F401 (register the checks and the schema's auth scheme)
        from common.converters import IdConverter

        register_converter(IdConverter, "id")  # <id:...> in every service's urls
