"""Volume pages: a pool's volumes with sizes and users, and the forms to create, resize, wipe, clone and delete."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from console.page_actions import perform
from console.storage.lookups import pool_for_page, volume_for_page
from domains.access import permissions
from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.storage.volumes import actions as volumes

MiB = 2**20


def volume_section_context(request, row, handle):
    """What templates/storage/pool_volumes.html needs; the pool page adds it to its own context."""
    may = {name: permissions.has_perm(request.user, f"storage_vol.{name}", row)
           for name in ("create", "resize", "format", "delete", "data_read")}
    listed, problem = [], None
    if permissions.has_perm(request.user, "storage_pool.search_storage_vols", row):
        try:
            listed = volumes.list_volumes(request.user, row, handle)
        except ConsoleError as exc:
            problem = exc.message
    formats, default_format = volumes.volume_formats(row, handle)
    return {"volumes": listed, "volumes_problem": problem, "may": may, "formats": formats,
            "default_format": default_format,
            "wipe_algorithms": volumes.WIPE_ALGORITHMS, "volume_section": True}


@route_permission("storage_pool.getattr", note="on the pool; lists volumes with storage_pool.search_storage_vols")
@require_GET
def pool_volumes(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name)
    context = {"host": row.host, "pool": row, "standalone": True, **volume_section_context(request, row, handle)}
    return HttpResponse(_STANDALONE.render(context, request))


# The section on a page of its own, until (and besides) the pool page includes it: one template for both.
_STANDALONE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Volumes of {{ pool.name }} · virtconsole{% endblock %}'
    '{% block content %}{% include "storage/pool_volumes.html" %}{% endblock %}')


def _bytes(request, field, unit_field=None):
    """A size from the form: a number of MiB (or of the unit the form names); None if left empty."""
    text = (request.POST.get(field) or "").strip()
    if not text:
        return None
    try:
        return int(float(text) * MiB)
    except ValueError as exc:
        raise ConsoleError(f"'{text}' is not a size in MiB: give a number such as 512.", "invalid") from exc


def _back(host_id, name):
    return redirect("pool-volumes", host_id, name)


@route_permission("storage_vol.create", note="on the pool")
@require_POST
def volume_create(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name)
    vol_name = request.POST.get("name", "")

    def create():
        backing = request.POST.get("backing", "").strip()
        backing_pool, _, backing_volume = backing.rpartition("/")
        volumes.do_create_volume(
            request.user, row, handle, vol_name, _bytes(request, "capacity"), request.POST.get("format") or None,
            _bytes(request, "allocation"),
            {"pool": backing_pool or row.name, "volume": backing_volume} if backing else None,
            request.POST.get("lazy_refcounts") == "on",
            "metadata" if request.POST.get("preallocation") == "metadata" else None, client_address(request))

    perform(request, create, f"Volume '{vol_name}' created in pool '{row.name}'.")
    return _back(host_id, name)


@route_permission("storage_vol.resize", note="on the pool; shrinking needs the form's confirmation")
@require_POST
def volume_resize(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    perform(request, lambda: volumes.do_resize_volume(request.user, row, handle, vol, _bytes(request, "capacity"),
                                                      request.POST.get("shrink") == "on", client_address(request)),
            f"Volume '{volume}' resized.")
    return _back(host_id, name)


@route_permission("storage_vol.format", note="on the pool")
@require_POST
def volume_wipe(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    perform(request, lambda: volumes.do_wipe_volume(request.user, row, handle, vol,
                                                    request.POST.get("algorithm", "zero"), client_address(request)),
            lambda job: f"Wiping volume '{volume}': job {job.pk} (see Jobs).")
    return _back(host_id, name)


@route_permission("storage_vol.data_read", note="on the pool, and storage_vol.create on the target pool")
@require_POST
def volume_clone(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)

    def clone():
        try:
            return volumes.do_clone_volume(request.user, row, handle, vol, request.POST.get("name", ""),
                                           request.POST.get("pool") or None, request.POST.get("format") or None,
                                           client_address(request))
        except Http404 as exc:  # the target pool is missing or hidden
            raise ConsoleError(f"There is no pool '{request.POST.get('pool')}' you may create volumes in.",
                               "not_found", 404) from exc

    perform(request, clone, lambda job: f"Cloning volume '{volume}': job {job.pk} (see Jobs).")
    return _back(host_id, name)


@route_permission("storage_vol.delete", note="on the pool; refused while a domain uses the volume")
@require_POST
def volume_delete(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    if request.POST.get("confirm") != "on":
        messages.error(request, f"Volume '{volume}' was not deleted: tick the confirmation box to delete it.")
        return _back(host_id, name)
    perform(request, lambda: volumes.do_delete_volume(request.user, row, handle, vol, client_address(request)),
            f"Volume '{volume}' deleted.")
    return _back(host_id, name)


_BASE = "hosts/<int:host_id>/pools/<str:name>/volumes"
urlpatterns = [
    path(f"{_BASE}/", pool_volumes, name="pool-volumes"),
    path(f"{_BASE}/new/", volume_create, name="pool-volume-create"),
    path(f"{_BASE}/<str:volume>/resize/", volume_resize, name="pool-volume-resize"),
    path(f"{_BASE}/<str:volume>/wipe/", volume_wipe, name="pool-volume-wipe"),
    path(f"{_BASE}/<str:volume>/clone/", volume_clone, name="pool-volume-clone"),
    path(f"{_BASE}/<str:volume>/delete/", volume_delete, name="pool-volume-delete"),
]
