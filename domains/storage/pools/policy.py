"""Where a pool may live and what it may be called: the host's pool_paths, checked on every definition of a pool."""

import os
import posixpath
import re

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError

# What a host allows when its administrator named nothing: libvirt's own default pool directory.
DEFAULT_POOL_ROOT = "/var/lib/libvirt/images"
# Letters, digits and . _ + - ; no '/', no leading dot, so a name never walks a path (libvirt makes
# files and directories from pool names, e.g. /etc/libvirt/storage/<name>.xml).
POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


class PoolError(ConsoleError):
    """A pool request that cannot be done as asked: the message says what to change."""

    code = "invalid_pool"
    status = 400


def check_pool_name(name):
    """name if it is a usable pool name, else PoolError saying what a name may hold."""
    if not isinstance(name, str) or not POOL_NAME.match(name) or ".." in name:
        raise PoolError(format_lazy(_("'{name}' is not a usable pool name: use 1 to 100 letters, digits, '.', '_', "
                                      "'+' or '-', starting with a letter or digit, without '/' or '..'."), name=name),
                        fields={"name": [_("Invalid name.")]})
    return name


def allowed_roots(host):
    """The directories and device prefixes host allows pools under (its pool_paths, else the default root)."""
    roots = [root for root in (host.pool_paths or []) if isinstance(root, str) and root.startswith("/")]
    return roots or [DEFAULT_POOL_ROOT]


def _is_local(host):
    """Whether the host's libvirtd runs on this machine, so its paths can be resolved (symlinks) here."""
    rest = host.uri.split("://", 1)[1] if "://" in host.uri else ""
    return rest.startswith("/")


def _under(path, root):
    if root != "/" and root.endswith("/"):
        root = root.rstrip("/")
    if path == root or path.startswith(root.rstrip("/") + "/"):
        return True
    # A device prefix: /dev/loop allows /dev/loop0, /dev/loop1, ...
    return root.startswith("/dev/") and not root.endswith("/") and path.startswith(root)


# The paths a pool definition names, as a refusal calls them (what: the key of the field it points at).
PATH_WORDS = {"target path": _("target path"), "source device": _("source device")}


def check_pool_path(host, path, what="target path"):
    """The normalised path if host allows a pool to use it, else PoolError naming the allowed roots.

    Refused: relative paths, any '..' component, and (on a local host) a path whose symlinks lead
    outside the allowed roots: libvirtd, as root, would follow them.
    """
    roots = allowed_roots(host)
    listed = ", ".join(roots)
    said = PATH_WORDS.get(what, what)
    field = {what: [format_lazy(_("Not under {roots}."), roots=listed)]}
    if not isinstance(path, str) or not path.startswith("/") or "\x00" in path:
        raise PoolError(format_lazy(_("The {what} '{path}' is not an absolute path: give one under {roots}."),
                                    what=said, path=path, roots=listed), fields=field)
    if ".." in path.split("/"):
        raise PoolError(format_lazy(_("The {what} '{path}' contains '..': give the path itself, under {roots}."),
                                    what=said, path=path, roots=listed), fields=field)
    normal = posixpath.normpath(path)
    candidates = [normal]
    if _is_local(host):
        candidates.append(os.path.realpath(normal))
    for candidate in candidates:
        if not any(_under(candidate, root) for root in roots):
            if candidate != normal:
                message = _("The {what} '{path}' (which leads to '{candidate}') is outside where host '{host}' "
                            "allows pools: {roots}. Pick a path there, or ask the host's administrator to add one "
                            "to its pool paths.")
            else:
                message = _("The {what} '{path}' is outside where host '{host}' allows pools: {roots}. Pick a path "
                            "there, or ask the host's administrator to add one to its pool paths.")
            raise PoolError(format_lazy(message, what=said, path=path, candidate=candidate, host=host, roots=listed),
                            fields=field)
    return normal
