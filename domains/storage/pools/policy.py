"""Where a pool may live and what it may be called: the host's pool_paths, checked on every definition of a pool."""

import os
import posixpath
import re

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
        raise PoolError(f"'{name}' is not a usable pool name: use 1 to 100 letters, digits, '.', '_', '+' or '-', "
                        "starting with a letter or digit, without '/' or '..'.", fields={"name": ["Invalid name."]})
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


def check_pool_path(host, path, what="target path"):
    """The normalised path if host allows a pool to use it, else PoolError naming the allowed roots.

    Refused: relative paths, any '..' component, and (on a local host) a path whose symlinks lead
    outside the allowed roots: libvirtd, as root, would follow them.
    """
    roots = allowed_roots(host)
    field = {what: [f"Not under {', '.join(roots)}."]}
    if not isinstance(path, str) or not path.startswith("/") or "\x00" in path:
        raise PoolError(f"The {what} '{path}' is not an absolute path: give one under {', '.join(roots)}.",
                        fields=field)
    if ".." in path.split("/"):
        raise PoolError(f"The {what} '{path}' contains '..': give the path itself, under {', '.join(roots)}.",
                        fields=field)
    normal = posixpath.normpath(path)
    candidates = [normal]
    if _is_local(host):
        candidates.append(os.path.realpath(normal))
    for candidate in candidates:
        if not any(_under(candidate, root) for root in roots):
            shown = f"'{path}'" + (f" (which leads to '{candidate}')" if candidate != normal else "")
            raise PoolError(f"The {what} {shown} is outside where host '{host}' allows pools: "
                            f"{', '.join(roots)}. Pick a path there, or ask the host's administrator to add "
                            "one to its pool paths.", fields=field)
    return normal
