"""OpenAPI post-processing: document the error responses every operation can give, and
link each create to the operations on the object it made."""

import re
from collections.abc import Iterator
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


# "{id}/" or "{id}/sign-off/" below a collection: an operation on one of its objects.
OBJECT_PATH = re.compile(r"\{(?P<lookup>\w+)\}/(?:[\w-]+/)?")
HTTP_METHODS = {"get", "put", "patch", "post", "delete"}


def _properties(result: dict, schema: dict) -> dict:
    """The properties of a response body's object (of its object form, when the body is
    one object or a list of them, as for a bulk create)."""
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        schema = result["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
    properties = dict(schema.get("properties", {}))
    for choice in schema.get("oneOf", []):
        if "$ref" in choice:
            properties.update(_properties(result, choice))
    return properties


def _object_operations(paths: dict, collection: str) -> Iterator[tuple[str, dict]]:
    """(lookup parameter, operation) of each operation on one object of `collection`."""
    for path, operations in paths.items():
        match = OBJECT_PATH.fullmatch(path.removeprefix(collection))
        if path.startswith(collection) and match is not None:
            for method, operation in operations.items():
                if method in HTTP_METHODS:
                    yield match["lookup"], operation


def add_links(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: link each create's response to the operations on the object
    it made (read, change, delete, its actions) by the id in the response body, so that
    clients and stateful test tools know how the operations connect."""
    paths = result.get("paths", {})
    for path, operations in paths.items():
        if "post" not in operations or "{" in path:
            continue
        for code, response in operations["post"].get("responses", {}).items():
            if code not in ("201", "202"):
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            properties = _properties(result, schema)
            links = {
                target["operationId"]: {
                    "operationId": target["operationId"],
                    "parameters": {lookup: f"$response.body#/{lookup}"},
                    "description": f"The object this request created, by its `{lookup}`.",
                }
                for lookup, target in _object_operations(paths, path)
                if lookup in properties
            }
            if links:
                response["links"] = links
    return result
