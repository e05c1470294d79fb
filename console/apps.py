"""Django app of the site itself: login, dashboard, pages, live sessions."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
