from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    label = "common"
    verbose_name = "Bookstore common"

    def ready(self) -> None:
        from django.urls import register_converter

        from common import checks  # noqa: F401 (registers the checks)
        from common.converters import IdConverter

        register_converter(IdConverter, "id")  # <id:...> in every service's urls
