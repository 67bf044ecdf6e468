"""The error answers every service gives, written into each OpenAPI schema once.

drf-spectacular documents what a view returns when all goes well; the errors come
from common.errors' handlers for every view alike (a bad body, a bad or missing
token, a refused permission, an unknown id, a body that is not JSON), from
common.limits (a header, a number or a body too big) and from waitress (request
headers over 64 KiB, a body over 8 MiB: tools/serve.py). This postprocessing hook adds those
answers, in the common error shape, to every operation that can give them, so the
schema is true for clients and for Schemathesis. Answers of one domain (409, 503...)
are documented on their views with extend_schema, as OpenApiResponse(description=...)
only: the hook gives every error answer without a body the common error shape.
"""

from typing import Any

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The error shape of every service (common.errors).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "A stable snake_case code clients can branch on."},
                "message": {"type": "string"},
                "details": {"description": "Per-field messages for a validation error, when there are some."},
                "request_id": {"type": "string", "nullable": True},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
_METHODS = ("get", "put", "post", "patch", "delete")


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}},
    }


def _error_or_text(description: str) -> dict[str, Any]:
    response = _error(description)
    response["content"]["text/plain"] = {"schema": {"type": "string"}}
    return response


def _errors_for(operation: dict[str, Any], path_parameters: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    parameters = [*path_parameters, *operation.get("parameters", [])]
    has_body = "requestBody" in operation
    in_path = any(p.get("in") == "path" for p in parameters)
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    errors = {}
    if has_body or query or in_path:
        errors["400"] = _error("Invalid input (validation_error, naming the field, or parse_error).")
    errors["401"] = _error("No token where one is needed, or an expired, forged or malformed one.")
    errors["403"] = _error("The caller may not do this (another user's data, staff or services only).")
    if in_path or "page" in query:
        errors["404"] = _error("No such object, or no such page.")
    errors["431"] = _error_or_text(
        "A header over 8 KiB (header_too_large, naming it: common.limits), or a request line and headers"
        " over 64 KiB (refused in plain text by the server before the service sees it)."
    )
    if has_body:
        errors["413"] = _error_or_text(
            "A body over the service's limit (payload_too_large), or over 8 MiB (refused in plain text by the server)."
        )
        errors["415"] = _error("A body that is not JSON.")
    return errors


def add_error_responses(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: the common error answers of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        path_parameters = path_item.get("parameters", [])
        for method in _METHODS:
            if (operation := path_item.get(method)) is None:
                continue
            responses = operation.setdefault("responses", {})
            for status_code, response in responses.items():
                if status_code.startswith(("4", "5")) and "content" not in response:
                    response["content"] = _error("")["content"]
            for status_code, response in _errors_for(operation, path_parameters).items():
                responses.setdefault(status_code, response)
    return result
