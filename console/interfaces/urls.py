"""Interfaces card routes of the domain page; included from console/urls.py."""

from django.urls import path

from console.interfaces import views

urlpatterns = [
    path("domains/<uuid:uuid>/interfaces/", views.interface_table, name="domain-interfaces"),
    path("domains/<uuid:uuid>/interfaces/add/", views.interface_add, name="domain-interface-add"),
    path("domains/<uuid:uuid>/interfaces/<str:mac>/change/", views.interface_change, name="domain-interface-change"),
    path("domains/<uuid:uuid>/interfaces/<str:mac>/remove/", views.interface_remove, name="domain-interface-remove"),
]
