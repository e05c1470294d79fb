"""The nwfilter part of the libvirt adapter: list, read, define and undefine a host's network filters."""

import uuid as uuidlib
from contextlib import contextmanager

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.libvirt.adapter import VirtError, translated_errors
from domains.libvirt.networks import network_connection

# What needs a network driver, in the refusal of a host without one.
_NETWORK_FILTERS = _("network filters")


class NoNwfilterDriver(VirtError):
    """The host's libvirt has no nwfilter driver (the test driver): the request is fine, the host is not."""

    status = 409

    def as_api_error(self):
        return self.status, "no_nwfilter_driver", str(self.message), None


@contextmanager
def _nwfilter_errors(host):
    """translated_errors, with "no nwfilter driver here" said as such."""
    try:
        with translated_errors():
            yield
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_SUPPORT:
            raise NoNwfilterDriver(format_lazy(_("Host '{host}' has no network filter driver ({error}): network "
                                                 "filters need a libvirtd host such as qemu:///system."),
                                               host=host, error=exc.message.strip()), exc.code) from exc
        raise


def list_nwfilters(host):
    """Every virNWFilter of host."""
    with _nwfilter_errors(host):
        return network_connection(host, _NETWORK_FILTERS).listAllNWFilters(0)


def find_nwfilter(host, name):
    """The virNWFilter called name on host, or None."""
    try:
        with _nwfilter_errors(host):
            return network_connection(host, _NETWORK_FILTERS).nwfilterLookupByName(name)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_NWFILTER:
            return None
        raise


def nwfilter_name(handle):
    with translated_errors():
        return handle.name()


def nwfilter_uuid(handle):
    with translated_errors():
        return uuidlib.UUID(handle.UUIDString())


def nwfilter_xml(handle):
    with translated_errors():
        return handle.XMLDesc(0)


def define_nwfilter(host, xml):
    """Define (or redefine, same name and UUID) a filter from xml; the virNWFilter. libvirt validates it
    (VIR_NWFILTER_DEFINE_VALIDATE) against its schema first."""
    conn = network_connection(host, _NETWORK_FILTERS)
    with _nwfilter_errors(host):
        return conn.nwfilterDefineXMLFlags(xml, libvirt.VIR_NWFILTER_DEFINE_VALIDATE)


def undefine_nwfilter(handle):
    """Undefine the filter; libvirt refuses (VIR_ERR_OPERATION_INVALID) while a filter or interface uses it."""
    with translated_errors():
        handle.undefine()


def nwfilter_bindings(host):
    """{filter name: [port devices]} of the filters bound to running domains' interfaces now."""
    with _nwfilter_errors(host):
        bindings = network_connection(host, _NETWORK_FILTERS).listAllNWFilterBindings(0)
        used = {}
        for binding in bindings:
            used.setdefault(binding.filterName(), []).append(binding.portDev())
    return used
