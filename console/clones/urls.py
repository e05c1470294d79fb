"""The Clone page route of a domain; included from console/urls.py."""

from django.urls import path

from console.clones import views

urlpatterns = [
    path("domains/<uuid:uuid>/clone/", views.domain_clone, name="domain-clone"),
]
