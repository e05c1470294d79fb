"""How the v1 OpenAPI document is made: only /api/v1/ paths, and the one error shape on every failure."""

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from domains.api.version import API_VERSION

V1_PREFIX = "/api/v1/"

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The one shape of every API failure.",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, repeated for clients that lose it."},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. invalid, not_found, "
                                                  "permission_denied, action_failed, libvirt_error."},
        "message": {"type": "string", "description": "What went wrong and what to do, in words for a person."},
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "description": "Per-field problems where relevant: field name -> list of messages "
                           "(for permission_denied: 'permission' -> the libvirt permission name).",
        },
    },
    "required": ["status", "code", "message"],
}

# Why each failure status can happen; which operations get which is decided in with_error_responses.
ERROR_REASONS = {
    "400": "The request has invalid fields or parameters (see 'fields').",
    "401": "Not authenticated (a token was expected).",
    "403": "Not authenticated, or you lack the permission (named in 'fields.permission').",
    "404": "No such object, or you may not see it.",
    "409": "The action could not be done in the object's current state; 'message' says why.",
    "502": "libvirt answered with an error (host unreachable or call refused); 'message' has libvirt's words.",
}

MUTATING_METHODS = {"post", "put", "patch", "delete"}


def only_v1_paths(endpoints, **kwargs):
    """Preprocessing hook: the v1 contract covers /api/v1/ only (the QEMU extras have their own namespace)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(V1_PREFIX)]


def _is_public(operation):
    # drf-spectacular lists an empty requirement when anonymous access is allowed.
    return {} in operation.get("security", [])


def expected_failures(method, operation):
    """The failure statuses an operation documents, from what it takes and who may call it."""
    where = {parameter.get("in") for parameter in operation.get("parameters", [])}
    codes = set()
    if "requestBody" in operation or "query" in where:
        codes.add("400")
    if "path" in where:
        codes.add("404")
    if not _is_public(operation):
        codes |= {"401", "403", "502"}
        if method in MUTATING_METHODS:
            codes.add("409")
    return codes


def with_error_responses(result, generator, request, public, **kwargs):
    """Postprocessing hook: every 4xx/5xx response of every operation is the Error component."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in expected_failures(method, operation):
                responses.setdefault(code, {"description": ERROR_REASONS[code]})
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response.setdefault("description", ERROR_REASONS.get(code, "Failure."))
                    response["content"] = {"application/json": {"schema": ref}}
    return result


V1_SCHEMA_SETTINGS = {
    "TITLE": "virtconsole API v1",
    "DESCRIPTION": "The generic, append-only API of virtconsole. See docs/api.md for the stability promise.",
    "VERSION": API_VERSION,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["domains.api.openapi.only_v1_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "domains.api.openapi.with_error_responses",
    ],
}


def v1_schema():
    """The live v1 OpenAPI document as a dict, exactly as /api/v1/schema/ serves it."""
    with patched_settings(V1_SCHEMA_SETTINGS):
        return SchemaGenerator().get_schema(request=None, public=True)


def v1_schema_and_problems():
    """The live v1 schema, and drf-spectacular's warnings and errors while making it (each names its view)."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = v1_schema()
    # Each message starts with its severity ("Warning: ...", "Error: ...").
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, problems


def v1_schema_problems():
    return v1_schema_and_problems()[1]


class V1SchemaView(SpectacularAPIView):
    custom_settings = V1_SCHEMA_SETTINGS


class V1DocsView(SpectacularSwaggerSplitView):
    """Swagger UI whose start-up script is a file of its own (?script): the site's CSP allows no inline script."""

    title = V1_SCHEMA_SETTINGS["TITLE"]

