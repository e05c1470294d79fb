"""Every URL pattern and websocket route declares the permission it needs, so no endpoint ships unguarded."""

from domains.access.permission_names import (
    LIFECYCLE_PERMISSIONS,
    PERMISSIONS,
    ROUTE_PERMISSIONS,
    ROUTE_SENTINELS,
)
from domains.lifecycle.actions import ACTIONS
from tests.access.routes import http_key, http_routes, websocket_routes


def _names(declared):
    values = declared.values() if isinstance(declared, dict) else [declared]
    for value in values:
        yield from ([value] if isinstance(value, str) else value)


def test_every_http_route_declares_its_permission():
    missing = [f"{r.pattern} (name {r.name or '-'})" for r in http_routes() if r.declared is None]
    assert not missing, ("Routes without a permission declaration: mark the view with "
                         "domains.access.permissions.route_permission(...) or add it to ROUTE_PERMISSIONS in "
                         "domains/access/permission_names.py:\n  " + "\n  ".join(missing))


def test_every_websocket_route_declares_its_permission():
    missing = [r.pattern for r in websocket_routes() if r.declared is None]
    assert not missing, ("Websocket routes without a declaration: give the consumer class a "
                         "route_permission(...) mark or add 'ws:<pattern>' to ROUTE_PERMISSIONS:\n  "
                         + "\n  ".join(missing))


def test_every_declaration_names_a_known_permission():
    for route in http_routes() + websocket_routes():
        if route.declared is None:
            continue
        for name in _names(route.declared):
            assert name in PERMISSIONS or name in ROUTE_SENTINELS, f"{route.pattern} declares unknown '{name}'"


def test_no_stale_declarations_remain_for_removed_routes():
    known = {http_key(r.pattern, r.name) for r in http_routes()} | {f"ws:{r.pattern}" for r in websocket_routes()}
    stale = sorted(set(ROUTE_PERMISSIONS) - known)
    assert not stale, f"ROUTE_PERMISSIONS names routes that no longer exist: {stale}"


def test_the_lifecycle_declaration_matches_the_actions_table():
    assert set(LIFECYCLE_PERMISSIONS) == {action.permission for action in ACTIONS.values()}
