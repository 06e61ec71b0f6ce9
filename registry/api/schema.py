"""OpenAPI post-processing: document the error responses every operation can give."""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error with a human-readable explanation.",
    "properties": {"detail": {"type": "string", "description": "What went wrong."}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Validation errors: each invalid field (or `non_field_errors`, or for a "
    "bulk request each item's index) with its messages.",
    "additionalProperties": {},
}


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


COMMON = {
    "401": _error("Not authenticated: send `Authorization: Token <key>` or log in."),
    "403": _error("Authenticated, but your role does not allow this."),
    "405": _error("Method not allowed on this resource."),
    "406": _error("The Accept header asks for a format this resource cannot give."),
    "429": _error("Too many requests: retry after the number of seconds in Retry-After."),
}
WRITE = {
    "400": _error("Invalid input: {field: [messages]}.", "ValidationError"),
    "415": _error("Unsupported media type: send application/json."),
}


GENERIC_PROPERTIES = {
    "id": "Unique id.",
    "count": "Number of objects over all pages.",
    "next": "URL of the next page, or null on the last.",
    "previous": "URL of the previous page, or null on the first.",
    "results": "The objects of this page.",
}


def describe_generic_fields(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: describe ids, pagination envelopes and lookup parameters,
    which have no help text of their own."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, spec in component.get("properties", {}).items():
            if name in GENERIC_PROPERTIES and "description" not in spec:
                spec["description"] = GENERIC_PROPERTIES[name]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("description"):
                    continue
                if parameter["in"] == "path":
                    parameter["description"] = f"The object's {parameter['name']}."
                elif parameter["name"] == "format":
                    parameter["description"] = "Response format."
    return result


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: add the shared error responses to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON)
            if "{" in path:
                extra["404"] = _error("No such object among your teams' objects.")
            if method in ("post", "put", "patch"):
                extra.update(WRITE)
            if method == "get":
                extra["400"] = _error("An invalid filter or page value.", "ValidationError")
                extra["404"] = _error("No such object, or a page past the last one.")
            for code, response in extra.items():
                responses.setdefault(code, response)
    return result
