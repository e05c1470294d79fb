"""Storage pages: the ISO library (the pools' and volumes' pages come from storage-pools/-volumes)."""

from django.urls import path

from console.storage import isos

urlpatterns = [
    path("hosts/<int:host_id>/isos/", isos.iso_library, name="host-isos"),
    path("hosts/<int:host_id>/isos/new/", isos.iso_create, name="host-iso-create"),
]
