"""The ISO library page of a host: install media across the pools the user sees, and uploading one."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domains.access.lookups import client_address
from domains.access.permissions import PermissionDenied, route_permission
from domains.errors import ConsoleError
from domains.libvirt.adapter import VirtError
from domains.storage.volumes.iso_library import (
    do_create_medium_volume,
    host_for,
    library,
)


@route_permission("getattr", note="lists only the pools where the user holds storage_pool.search_storage_vols")
@require_GET
def iso_library(request, host_id):
    host = host_for(request.user, host_id)
    error, media, upload_pools = None, [], []
    try:
        media, upload_pools = library(request.user, host)
    except VirtError as exc:
        error = str(exc)
    for medium in media:
        medium["url"] = reverse("api-volume-content", args=[host.pk, medium["pool"], medium["name"]])
    # Offered first: the pool already holding the most install media (where people keep their ISOs), not
    # whichever pool sorts first.
    held = {pool: sum(1 for medium in media if medium["pool"] == pool) for pool in upload_pools}
    default_pool = max(upload_pools, key=lambda pool: held[pool], default=None)
    return render(request, "storage/iso_library.html",
                  {"host": host, "media": media, "upload_pools": upload_pools, "default_pool": default_pool,
                   "error": error})


@route_permission("getattr", note="then storage_vol.create and storage_vol.data_write on the pool chosen")
@require_POST
def iso_create(request, host_id):
    """Make the empty volume an upload fills; answers JSON {content_url} for the page's script."""
    host = host_for(request.user, host_id)
    try:
        size = int(request.POST.get("size", ""))
    except ValueError:
        return JsonResponse({"message": _("The file's size is not a number of bytes.")}, status=400)
    try:
        do_create_medium_volume(request.user, host, request.POST.get("pool", ""), request.POST.get("name", ""),
                                size, client_address(request))
    except PermissionDenied as refusal:
        return JsonResponse({"message": str(refusal)}, status=403)
    except ConsoleError as exc:
        return JsonResponse({"message": exc.message, "fields": exc.fields}, status=exc.status)
    url = reverse("api-volume-content", args=[host.pk, request.POST["pool"], request.POST["name"]])
    return JsonResponse({"content_url": url}, status=201)
