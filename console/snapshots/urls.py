"""The Snapshots page of a domain (snapshots and backups) and its Snapshots card's routes; included from
console/urls.py."""

from django.urls import path

from console.snapshots import views

urlpatterns = [
    path("domains/<uuid:uuid>/snapshots/", views.snapshots_page, name="domain-snapshots"),
    path("domains/<uuid:uuid>/snapshots/body/", views.snapshot_card_body, name="domain-snapshots-body"),
    path("domains/<uuid:uuid>/snapshots/new/", views.snapshot_create, name="domain-snapshot-create"),
    path("domains/<uuid:uuid>/snapshots/<str:name>/revert/", views.snapshot_revert, name="domain-snapshot-revert"),
    path("domains/<uuid:uuid>/snapshots/<str:name>/delete/", views.snapshot_delete, name="domain-snapshot-delete"),
]
