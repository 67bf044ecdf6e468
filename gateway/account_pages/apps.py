from django.apps import AppConfig


class AccountPagesConfig(AppConfig):
    name = "account_pages"
    verbose_name = "Account pages"
