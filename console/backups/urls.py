"""Backups card routes of the domain page; included from console/urls.py."""

from django.urls import path

from console.backups import views

urlpatterns = [
    path("domains/<uuid:uuid>/backups/", views.backup_card_body, name="domain-backups"),
    path("domains/<uuid:uuid>/backups/new/", views.backup_create, name="domain-backup-create"),
    path("domains/<uuid:uuid>/backups/<int:backup_id>/restore/", views.backup_restore, name="domain-backup-restore"),
    path("domains/<uuid:uuid>/backups/<int:backup_id>/delete/", views.backup_delete, name="domain-backup-delete"),
]
