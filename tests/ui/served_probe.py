"""Run inside the served console (tests/browser_support.served_manage, `manage.py shell`): its own database.

Two jobs, chosen by the environment's VC_PROBE (the shell reads this file's text from -c):
  personas  -> make the page tests' users and grants; prints JSON {persona: username, "demo": uuid, "host": id}
  refused   -> reads JSON [[username, method, path], ...] from VC_PROBE_INPUT and prints JSON of the ones the server
               would refuse for want of a permission: [[username, method, path, permission], ...]
The second asks the same declaration and check the server asks (domains.access.permissions), not a copy of it.
"""

import json
import os

from django.contrib.auth import get_user_model
from django.urls import resolve

from domains.access import permissions
from domains.access.grants import do_grant
from domains.access.permission_names import AUTHENTICATED, PUBLIC
from domains.access.users import do_create_user
from domains.hosts.models import Host
from domains.lifecycle.actions import ACTIONS
from domains.lifecycle.models import Domain
from domains.networks.models import Network
from domains.storage.models import Pool
from domains.tags.actions import do_set_tags

PASSWORD = "persona-pass-123"
# persona -> the built-in role it holds on the demo domain (None: the administrator, a superuser)
ROLES = {"admin": None, "power": "Power user", "operator": "Operator", "console": "Console user", "viewer": "Viewer"}


def make_personas():
    demo = Domain.objects.get(name="demo")
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    made = {"demo": str(demo.uuid), "host": demo.host_id, "password": PASSWORD}
    # Tags, so the pages are checked with their badges and the list's tag filter shown.
    do_set_tags(admin, demo, ["demo", "guest-os"])
    for persona, role in ROLES.items():
        username = f"ui-{persona}"
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = do_create_user(None, username, PASSWORD, is_superuser=role is None)
            if role:
                do_grant(admin, role, to_user=user, domain=demo)
        made[persona] = username
    return made


def target_of(match):
    """The object a route's permission is checked on, from its URL's arguments."""
    kwargs = match.kwargs
    name = match.url_name or ""
    if "uuid" in kwargs:
        return Domain.objects.filter(uuid=kwargs["uuid"]).first()
    if "host_id" in kwargs:
        host = Host.objects.filter(pk=kwargs["host_id"]).first()
        if name.startswith("pool-") and "name" in kwargs:
            return Pool.objects.filter(host=host, name=kwargs["name"]).first() or host
        if name.startswith("network-") and "name" in kwargs:
            return Network.objects.filter(host=host, name=kwargs["name"]).first() or host
        return host
    return None


def needed(match, method, declared):
    """The permission names of which one suffices, or () when signing in is enough."""
    if isinstance(declared, dict):
        declared = declared.get(method, declared.get("POST"))
    if declared in (AUTHENTICATED, PUBLIC) or declared is None:
        return ()
    if match.url_name == "domain-action":
        action = ACTIONS.get(match.kwargs.get("action"))
        return (action.permission,) if action else ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def refused(requests):
    answer = []
    users = {user.username: user for user in get_user_model().objects.all()}
    for username, method, path in requests:
        match = resolve(path)
        declared = permissions.declared_permission(match.func, match.url_name or f"path:{match.route}")
        names = needed(match, method, declared)
        if not names:
            continue
        target = target_of(match)
        if not any(permissions.has_perm(users[username], name, target) for name in names):
            answer.append([username, method, path, " or ".join(names)])
    return answer


job = os.environ.get("VC_PROBE")
if job == "personas":
    print(json.dumps(make_personas()))
elif job == "refused":
    print(json.dumps(refused(json.loads(os.environ["VC_PROBE_INPUT"]))))
else:
    raise SystemExit(f"unknown job {job!r}")
