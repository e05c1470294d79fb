"""Volume pages: a pool's volumes with sizes and users, and the forms to create, resize, wipe, clone and delete.

A refused create, resize or clone form comes back (status 400) with what the user typed and the field the
refusal names marked and focused; the other forms have nothing typed to lose and tell their outcome as a toast.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.page_actions import perform, tell
from console.storage.lookups import pool_for_page, volume_for_page
from domains.access import permissions
from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.storage.volumes import actions as volumes

MiB = 2**20


class RefusedForm:
    """A refused volume form as the page shows it again: which form (create, or resize/clone of one volume), what
    was typed, the refusal's words at the fields it names (else at the form's main field), the field to focus."""

    # The fields each form has, the first its main one; a refusal naming none of them points at the main one.
    FIELDS = {"create": ("name", "capacity", "format", "allocation", "backing", "preallocation", "lazy_refcounts"),
              "resize": ("capacity", "shrink"), "clone": ("name", "pool", "format")}

    def __init__(self, kind, values, exc, volume=None):
        self.kind, self.volume, self.values = kind, volume, values
        named = [field for field in (exc.fields if isinstance(exc.fields, dict) else {}) if field in self.FIELDS[kind]]
        self.focus = named[0] if named else self.FIELDS[kind][0]
        self.errors = {field: exc.message for field in named} or {self.focus: exc.message}


def volume_section_context(request, row, handle, refused=None):
    """What templates/storage/pool_volumes.html needs; the pool page adds it to its own context. refused: a
    RefusedForm to show again."""
    may = {name: permissions.has_perm(request.user, f"storage_vol.{name}", row)
           for name in ("create", "resize", "format", "delete", "data_read")}
    listed, problem = [], None
    if permissions.has_perm(request.user, "storage_pool.search_storage_vols", row):
        try:
            listed = volumes.list_volumes(request.user, row, handle)
        except ConsoleError as exc:
            problem = exc.message
    if refused is not None and refused.volume is not None:
        for volume in listed:
            if volume["name"] == refused.volume:
                volume["refused"] = refused  # the row's actions open, its form filled in again
    formats, default_format = volumes.volume_formats(row, handle)
    return {"volumes": listed, "volumes_problem": problem, "may": may, "formats": formats,
            "default_format": default_format,
            "create_form": refused if refused is not None and refused.kind == "create" else None,
            "wipe_algorithms": volumes.WIPE_ALGORITHMS, "volume_section": True}


def volumes_page(request, row, handle, refused=None):
    context = {"host": row.host, "pool": row, "standalone": True,
               **volume_section_context(request, row, handle, refused)}
    # The section on a page of its own, besides the pool page that includes it: one template for both.
    return render(request, "storage/pool_volumes_page.html", context, status=400 if refused else 200)


@route_permission("storage_pool.getattr", note="on the pool; lists volumes with storage_pool.search_storage_vols")
@require_GET
def pool_volumes(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name)
    return volumes_page(request, row, handle)


def performed_or_shown_again(request, row, handle, kind, action, done, volume=None):
    """Run the form's action: on success a toast and back to the volumes page; refused, the page again with the
    form as the user filled it in and the refusal at its field."""
    try:
        result = action()
    except ConsoleError as exc:
        return volumes_page(request, row, handle, RefusedForm(kind, request.POST.dict(), exc, volume))
    tell(request, done(result) if callable(done) else done)
    return _back(row.host_id, row.name)


def _bytes(request, field, unit_field=None):
    """A size from the form: a number of MiB (or of the unit the form names); None if left empty."""
    text = (request.POST.get(field) or "").strip()
    if not text:
        return None
    try:
        return int(float(text) * MiB)
    except ValueError as exc:
        raise ConsoleError(_("'%(text)s' is not a size in MiB: give a number such as 512.") % {"text": text},
                           "invalid", fields={field: ["A number of MiB."]}) from exc


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

    return performed_or_shown_again(request, row, handle, "create", create,
                                    _("Volume '%(volume)s' created in pool '%(pool)s'.") % {"volume": vol_name,
                                                                                           "pool": row.name})


@route_permission("storage_vol.resize", note="on the pool; shrinking needs the form's confirmation")
@require_POST
def volume_resize(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    return performed_or_shown_again(
        request, row, handle, "resize",
        lambda: volumes.do_resize_volume(request.user, row, handle, vol, _bytes(request, "capacity"),
                                         request.POST.get("shrink") == "on", client_address(request)),
        _("Volume '%(volume)s' resized.") % {"volume": volume}, volume)


@route_permission("storage_vol.format", note="on the pool")
@require_POST
def volume_wipe(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    perform(request, lambda: volumes.do_wipe_volume(request.user, row, handle, vol,
                                                    request.POST.get("algorithm", "zero"), client_address(request)),
            lambda job: _("Wiping volume '%(volume)s': job %(job)s (see Jobs).") % {"volume": volume, "job": job.pk})
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
            raise ConsoleError(_("There is no pool '%(pool)s' you may create volumes in.")
                               % {"pool": request.POST.get("pool")}, "not_found", 404,
                               {"pool": [_("No such pool, or you may not create volumes there.")]}) from exc

    return performed_or_shown_again(
        request, row, handle, "clone", clone,
        lambda job: _("Cloning volume '%(volume)s': job %(job)s (see Jobs).") % {"volume": volume, "job": job.pk},
        volume)


@route_permission("storage_vol.delete", note="on the pool; refused while a domain uses the volume")
@require_POST
def volume_delete(request, host_id, name, volume):
    row, handle, vol = volume_for_page(request, host_id, name, volume)
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Volume '%(volume)s' was not deleted: tick the confirmation box to delete it.")
                       % {"volume": volume})
        return _back(host_id, name)
    perform(request, lambda: volumes.do_delete_volume(request.user, row, handle, vol, client_address(request)),
            _("Volume '%(volume)s' deleted.") % {"volume": volume})
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
