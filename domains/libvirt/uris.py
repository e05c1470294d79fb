"""What a libvirt URI makes the console process open on its own host, and which of those it may."""

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

TEST_DEFAULT_PATH = "/default"
# libvirt's test driver quotes the file it could not parse, first line included:
# the console never passes that on.
TEST_FILE_WITHHELD = _("libvirt's test driver could not load {path} as a node description "
                       "(its own message is withheld: it quotes the file). Check the file is a <node> document.")


class UriRefused(ValueError):
    """A URI the console will not open; the message says why and what would be accepted."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def scheme_parts(uri):
    """(driver, transport or "") of a URI such as qemu+ssh://host/system."""
    scheme = urlsplit(uri).scheme
    driver, _plus, transport = scheme.partition("+")
    return driver, transport


def test_driver_file(uri):
    """The file a test driver URI names (None for test:///default and URIs of other drivers)."""
    driver, _transport = scheme_parts(uri)
    if driver != "test":
        return None
    path = urlsplit(uri).path
    return None if path.rstrip("/") == TEST_DEFAULT_PATH else path


def allowed_test_dir():
    """The directory whose files test:/// URIs may name (VIRTCONSOLE_TEST_URI_DIR), or None for none."""
    configured = getattr(settings, "TEST_URI_DIR", None)
    return os.path.realpath(configured) if configured else None


def check_host_file_access(uri):
    """Raise UriRefused when uri would make this process read a host file outside the allowed directory.

    test:///<path> makes libvirt read <path> as root (in the console's process, or
    in the daemon for test+unix://); only test:///default and files under the
    configured directory are allowed.
    """
    path = test_driver_file(uri)
    if path is None:
        return
    _driver, transport = scheme_parts(uri)
    allowed = allowed_test_dir()
    if transport or urlsplit(uri).netloc or not allowed:
        raise UriRefused(
            _("A test driver URI may only be test:///default here.") if allowed or transport
            else _("A test driver URI may only be test:///default here: this console allows no test driver files "
                   "(VIRTCONSOLE_TEST_URI_DIR is not set)."))
    real = os.path.realpath(path)
    if os.path.commonpath([real, allowed]) != allowed:
        raise UriRefused(format_lazy(_("A test driver URI may only name files under {directory} "
                                       "(VIRTCONSOLE_TEST_URI_DIR), or be test:///default."), directory=allowed))
