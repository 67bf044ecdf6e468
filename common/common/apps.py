from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    label = "common"
    verbose_name = "Bookstore common"

    def ready(self) -> None:
        from common import checks  # noqa: F401 (registers the checks)
