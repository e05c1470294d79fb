"""Install page routes; included from console/urls.py."""

from django.urls import path

from console.install import views

urlpatterns = [
    path("install/", views.install_page, name="install"),
]
