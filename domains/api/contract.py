"""The append-only contract of API v1: compare the live OpenAPI schema with the committed one, naming each break."""

import json
from pathlib import Path

from django.conf import settings

from domains.api import ws_contract
from domains.api.openapi import v1_schema, v1_schema_and_problems

CONTRACT_DIR = Path(settings.BASE_DIR) / "api"
OPENAPI_CONTRACT = CONTRACT_DIR / "v1-contract.json"
WS_CONTRACT = CONTRACT_DIR / "ws-v1-contract.json"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REQUEST, RESPONSE = "request", "response"


def normalised(document):
    """The committed form: JSON, keys sorted, two-space indent, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def load(path):
    return json.loads(Path(path).read_text())


# -- flattening a schema into {field path: facts} ----------------------------------------------

def _component(document, ref):
    if not ref.startswith("#/components/schemas/"):
        raise ValueError(f"Cannot follow {ref!r}: only local #/components/schemas/ references are supported.")
    name = ref.rsplit("/", 1)[1]
    return name, document.get("components", {}).get("schemas", {}).get(name, {})


def _type_of(schema):
    kind = schema.get("type")
    if kind is None:
        return None
    return f"{kind}({schema['format']})" if schema.get("format") else str(kind)


class _Node:
    """What a client can rely on about one field: its types, allowed values, nullability, presence."""

    def __init__(self):
        self.types = set()
        self.enum = set()
        self.unconstrained = False  # some variant allows any value of its type
        self.nullable = False
        self.required = True

    def facts(self):
        return {"types": sorted(self.types), "enum": None if self.unconstrained or not self.enum else self.enum,
                "nullable": self.nullable, "required": self.required}


def flatten(document, schema, direction):
    """Map each field path ('' for the value itself, 'a.b', 'items[]', 'map{}') to its facts."""
    nodes = {}
    _walk(document, schema, direction, "", nodes, required=True, stack=())
    return {path: node.facts() for path, node in nodes.items()}


def _walk(document, schema, direction, path, nodes, required, stack):
    node = nodes.setdefault(path, _Node())
    node.required = node.required and required
    _walk_into(document, schema, direction, path, nodes, stack)


def _walk_into(document, schema, direction, path, nodes, stack):
    node = nodes[path]
    if "$ref" in schema:
        name, target = _component(document, schema["$ref"])
        if name in stack:  # a recursive shape: its first level was compared already
            node.types.add(f"ref({name})")
            return
        stack = (*stack, name)
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if schema.get("nullable"):
        node.nullable = True
    variants = list(schema.get("oneOf", [])) + list(schema.get("anyOf", []))
    for part in schema.get("allOf", []):
        _walk_into(document, part, direction, path, nodes, stack)
    for variant in variants:
        _walk_into(document, variant, direction, path, nodes, stack)
    if "enum" in schema:
        values = schema["enum"]
        node.nullable = node.nullable or None in values
        node.enum |= {json.dumps(value) for value in values if value is not None}
    elif _type_of(schema) is not None:
        node.unconstrained = True
    if _type_of(schema) is not None:
        node.types.add(_type_of(schema))
    if not schema and not variants:
        node.unconstrained = True
    required = set(schema.get("required", []))
    skip = "readOnly" if direction == REQUEST else "writeOnly"
    for name, prop in schema.get("properties", {}).items():
        if prop.get(skip):
            continue
        child = f"{path}.{name}" if path else name
        _walk(document, prop, direction, child, nodes, name in required, stack)
    if isinstance(schema.get("items"), dict):
        _walk(document, schema["items"], direction, f"{path}[]", nodes, True, stack)
    if isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
        _walk(document, schema["additionalProperties"], direction, f"{path}{{}}", nodes, False, stack)


# -- comparing ------------------------------------------------------------------------------------

def _field_name(path):
    return f"field '{path}'" if path else "the value"


def compare_fields(old, new, direction, where):
    """Breaks between two flattened schemas; direction says who sends them."""
    breaks = []
    for path, was in old.items():
        now = new.get(path)
        name = _field_name(path)
        if now is None:
            breaks.append(f"{where}: {name} was removed")
            continue
        if was["types"] != now["types"] and was["types"]:
            breaks.append(f"{where}: {name} changed type from {'|'.join(was['types'])} "
                          f"to {'|'.join(now['types']) or 'any'}")
        if was["enum"] is not None:
            missing = sorted(was["enum"] - (now["enum"] or was["enum"]))
            if missing:
                breaks.append(f"{where}: {name} lost enum value(s) {', '.join(missing)}")
        elif now["enum"] is not None and direction == REQUEST:
            breaks.append(f"{where}: {name} now accepts only {', '.join(sorted(now['enum']))}")
        if direction == REQUEST:
            if now["required"] and not was["required"]:
                breaks.append(f"{where}: {name} became required")
            if was["nullable"] and not now["nullable"]:
                breaks.append(f"{where}: {name} no longer accepts null")
        else:
            if was["required"] and not now["required"]:
                breaks.append(f"{where}: {name} is no longer always present")
            if now["nullable"] and not was["nullable"]:
                breaks.append(f"{where}: {name} may now be null")
    if direction == REQUEST:
        for path, now in new.items():
            if path not in old and now["required"] and _parent_present(path, old):
                breaks.append(f"{where}: new {_field_name(path)} is required")
    return breaks


def _parent_present(path, old):
    # A required field inside a new optional object is not a break: old clients never send that object.
    if path.endswith(("[]", "{}")):
        return path[:-2] in old
    return (path.rsplit(".", 1)[0] if "." in path else "") in old


def _parameters(operation):
    return {(p.get("in"), p.get("name")): p for p in operation.get("parameters", []) if isinstance(p, dict)}


def _operation_breaks(old_doc, new_doc, old_op, new_op, where):
    breaks = []
    old_params, new_params = _parameters(old_op), _parameters(new_op)
    for key, param in old_params.items():
        label = f"{where}: {key[0]} parameter '{key[1]}'"
        if key not in new_params:
            breaks.append(f"{label} was removed")
            continue
        if new_params[key].get("required") and not param.get("required"):
            breaks.append(f"{label} became required")
        breaks += compare_fields(flatten(old_doc, param.get("schema", {}), REQUEST),
                                 flatten(new_doc, new_params[key].get("schema", {}), REQUEST), REQUEST, label)
    for key, param in new_params.items():
        if key not in old_params and param.get("required"):
            breaks.append(f"{where}: new {key[0]} parameter '{key[1]}' is required")

    old_body, new_body = old_op.get("requestBody"), new_op.get("requestBody")
    if old_body and not new_body:
        breaks.append(f"{where}: the request body is no longer accepted")
    elif new_body and new_body.get("required") and not (old_body or {}).get("required"):
        breaks.append(f"{where}: a request body became required")
    if old_body and new_body:
        breaks += _content_breaks(old_doc, new_doc, old_body, new_body, REQUEST, f"{where} request body")

    old_responses, new_responses = old_op.get("responses", {}), new_op.get("responses", {})
    for code, response in old_responses.items():
        if code not in new_responses:
            breaks.append(f"{where}: response status {code} was removed")
            continue
        breaks += _content_breaks(old_doc, new_doc, response, new_responses[code], RESPONSE,
                                  f"{where} response {code}")
    return breaks


def _content_breaks(old_doc, new_doc, old, new, direction, where):
    breaks = []
    old_content, new_content = old.get("content", {}), new.get("content", {})
    for media, body in old_content.items():
        if media not in new_content:
            breaks.append(f"{where}: media type {media} was removed")
            continue
        breaks += compare_fields(flatten(old_doc, body.get("schema", {}), direction),
                                 flatten(new_doc, new_content[media].get("schema", {}), direction),
                                 direction, where)
    return breaks


def openapi_breaks(old, new):
    """Every way new breaks a client written against old, as sentences; [] when new only adds."""
    breaks = []
    new_paths = new.get("paths", {})
    for path, methods in sorted(old.get("paths", {}).items()):
        if path not in new_paths:
            breaks.append(f"path {path} was removed")
            continue
        for method in HTTP_METHODS:
            if method not in methods:
                continue
            where = f"{method.upper()} {path}"
            if method not in new_paths[path]:
                breaks.append(f"{where} was removed")
                continue
            breaks += _operation_breaks(old, new, methods[method], new_paths[path][method], where)
    return list(dict.fromkeys(breaks))  # form and JSON bodies share a shape: name each break once


# -- the check and the record --------------------------------------------------------------------

class ContractReport:
    """The outcome of one check: breaks fail it; notes (skips, additions) only inform."""

    def __init__(self):
        self.breaks = []
        self.notes = []

    @property
    def ok(self):
        return not self.breaks


def check(openapi_path=None, ws_path=None, live_schema=None, live_catalogue=None):
    """Compare the live v1 schema and websocket catalogue with the committed ones."""
    openapi_path, ws_path = openapi_path or OPENAPI_CONTRACT, ws_path or WS_CONTRACT
    report = ContractReport()
    if live_schema is None:
        live_schema, problems = v1_schema_and_problems()
        report.notes += [f"Schema generation: {problem}" for problem in problems]
    if not Path(openapi_path).exists():
        report.breaks.append(f"{openapi_path} is missing: run `python manage.py api_contract --write` and commit it.")
    else:
        committed = load(openapi_path)
        report.breaks += openapi_breaks(committed, live_schema)
        if not report.breaks and normalised(committed) != normalised(live_schema):
            report.notes.append(f"The live schema adds to {Path(openapi_path).name}: record the additions with "
                                "`python manage.py api_contract --write` (and a changelog entry in "
                                "domains/api/version.py).")
    ws_contract.check_into(report, ws_path, live_catalogue)
    return report


def write(openapi_path=None, ws_path=None):
    """Record the live schema (and catalogue, when it exists) as the contract; returns the files written."""
    openapi_path, ws_path = openapi_path or OPENAPI_CONTRACT, ws_path or WS_CONTRACT
    Path(openapi_path).parent.mkdir(parents=True, exist_ok=True)
    Path(openapi_path).write_text(normalised(v1_schema()))
    written = [Path(openapi_path)]
    catalogue = ws_contract.live_catalogue()
    if catalogue is not None:
        Path(ws_path).write_text(normalised(catalogue))
        written.append(Path(ws_path))
    return written
