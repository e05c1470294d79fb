"""The append-only contract of the virtconsole.v1 websocket message catalogue: compare two catalogues."""

import json
from pathlib import Path

from domains.api import ws_protocol

MEANING_KEYS = ("meaning", "description", "doc")


class CatalogueError(Exception):
    """A catalogue entry that does not say what it is in a form we can read."""


def live_catalogue():
    """The catalogue of domains/api/ws_protocol.py as plain JSON data."""
    value = {"subprotocol": ws_protocol.SUBPROTOCOL, "messages": ws_protocol.MESSAGES, "routes": ws_protocol.ROUTES,
             "close_codes": ws_protocol.CLOSE_CODES}
    return json.loads(json.dumps(value, default=_plain, sort_keys=True))


def _plain(value):
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str)
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def _named(items, key_names=("type", "name")):
    """A list of specs with a name key, or a mapping, as {name: spec}."""
    if isinstance(items, dict):
        return items
    named = {}
    for item in items or []:
        key = next((item[k] for k in key_names if isinstance(item, dict) and k in item), None)
        if key is None:
            raise CatalogueError(f"A catalogue entry has no {' or '.join(key_names)}: {item!r}.")
        named[str(key)] = item
    return named


def _meaning(spec):
    return next((spec[key] for key in MEANING_KEYS if isinstance(spec, dict) and key in spec), None)


def _field(spec):
    if not isinstance(spec, dict):  # a field given as one sentence: that sentence is its meaning
        return {"type": None, "required": None, "meaning": spec, "enum": None}
    enum = spec.get("enum", spec.get("values", spec.get("choices")))
    # None: the catalogue does not say, so presence is not compared.
    required = bool(spec["required"]) if "required" in spec else (not spec["optional"]) if "optional" in spec else None
    return {"type": spec.get("type"), "required": required, "meaning": _meaning(spec),
            "enum": None if enum is None else {json.dumps(v, sort_keys=True) for v in enum}}


def normalise(catalogue):
    """{"subprotocol", "routes", "close_codes", "messages": {type: {"direction", "meaning", "sockets", "fields"}}}."""
    whole = catalogue if isinstance(catalogue, dict) and "messages" in catalogue else {"messages": catalogue}
    out = {}
    for message_type, spec in _named(whole["messages"]).items():
        spec = spec if isinstance(spec, dict) else {}
        fields = spec.get("fields", spec.get("payload", {}))
        out[message_type] = {
            "direction": str(spec.get("direction", "")).lower() or None,
            "meaning": _meaning(spec),
            "sockets": set(spec.get("sockets", [])),
            "fields": {name: _field(field) for name, field in _named(fields, ("name",)).items()},
        }
    return {"subprotocol": whole.get("subprotocol"), "messages": out,
            "routes": {str(k): v for k, v in (whole.get("routes") or {}).items()},
            "close_codes": {str(k): v for k, v in (whole.get("close_codes") or {}).items()}}


def _sender(direction):
    if direction and direction.startswith(("server", "out", "s2c")):
        return "server"
    if direction and direction.startswith(("client", "in", "c2s")):
        return "client"
    return None


def catalogue_breaks(old, new):
    """Every way new breaks a client written against old: removed message types or fields, changed meaning or type."""
    old, new = normalise(old), normalise(new)
    breaks = []
    if old["subprotocol"] and new["subprotocol"] != old["subprotocol"]:
        breaks.append(f"subprotocol changed from {old['subprotocol']} to {new['subprotocol']}")
    for route in sorted(set(old["routes"]) - set(new["routes"])):
        breaks.append(f"route {route} was removed")
    for code, meaning in sorted(old["close_codes"].items()):
        if code not in new["close_codes"]:
            breaks.append(f"close code {code} was removed")
        elif new["close_codes"][code] != meaning:
            breaks.append(f"close code {code} changed meaning: was {meaning!r}, now {new['close_codes'][code]!r}")
    for message_type, was in sorted(old["messages"].items()):
        where = f"message '{message_type}'"
        now = new["messages"].get(message_type)
        if now is None:
            breaks.append(f"{where} was removed")
            continue
        breaks += _changes(where, was, now, ("direction", "meaning"))
        for socket in sorted(was["sockets"] - now["sockets"]):
            breaks.append(f"{where} is no longer used on the {socket} socket")
        breaks += _field_breaks(where, was, now)
    return breaks


def _changes(label, was, now, keys):
    """A sentence for each key whose committed value (where it has one) is different now."""
    return [f"{label} changed {key}: was {was[key]!r}, now {now[key]!r}"
            for key in keys if was[key] is not None and now[key] != was[key]]


def _field_breaks(where, was, now):
    breaks = []
    sender = _sender(was["direction"])
    for name, field in sorted(was["fields"].items()):
        label = f"{where} field '{name}'"
        current = now["fields"].get(name)
        if current is None:
            breaks.append(f"{label} was removed")
            continue
        breaks += _changes(label, field, current, ("type", "meaning"))
        if field["enum"] is not None:
            missing = sorted(field["enum"] - (current["enum"] or field["enum"]))
            if missing:
                breaks.append(f"{label} lost value(s) {', '.join(missing)}")
        if sender != "client" and field["required"] is True and current["required"] is False:
            breaks.append(f"{label} is no longer always sent")
        if sender != "server" and current["required"] is True and field["required"] is False:
            breaks.append(f"{label} became required")
    if sender != "server":
        for name, field in sorted(now["fields"].items()):
            if name not in was["fields"] and field["required"] is True:
                breaks.append(f"{where}: new field '{name}' is required")
    return breaks


def check_into(report, snapshot_path, live=None):
    """Add the websocket catalogue's breaks (or why it was skipped) to a contract report."""
    if live is None:
        try:
            live = live_catalogue()
        except CatalogueError as exc:
            report.breaks.append(str(exc))
            return
    if not Path(snapshot_path).exists():
        report.breaks.append(f"{snapshot_path} is missing: run "
                             "`python manage.py api_contract --write` and commit it.")
        return
    report.breaks += catalogue_breaks(json.loads(Path(snapshot_path).read_text()), live)
