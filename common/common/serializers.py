"""Serializer bases that take JSON types as the schema states them.

DRF turns a JSON number into a string for a CharField (12 becomes "12") and takes a
number for a DecimalField or a UUIDField, while the OpenAPI schema says both are strings; a client
that sends the wrong type should hear so (a 400 naming the field), as Schemathesis
checks. Query strings are always text, so only JSON bodies are checked.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeGuard

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

NOT_A_STRING = "Not a valid string."


def _is_string_in_schema(field: "serializers.Field[Any, Any, Any, Any]") -> bool:
    if isinstance(field, serializers.DecimalField):
        coerced: bool = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        return coerced
    # UUIDField would take a JSON integer (even false) as the UUID with that number.
    return isinstance(field, serializers.CharField | serializers.UUIDField)


def _too_long(field: "serializers.Field[Any, Any, Any, Any]", value: Any) -> TypeGuard[serializers.CharField]:
    # DRF trims whitespace before it checks max_length; the schema's maxLength is of what was sent.
    max_length = getattr(field, "max_length", None)
    return isinstance(field, serializers.CharField) and max_length is not None and len(value) > max_length


if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer[Any]
else:
    _SerializerBase = object  # a mixin at run time; what it is mixed into, for mypy


class JsonTypesMixin(_SerializerBase):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            wrong: dict[Any, list[str]] = {}
            for field in self._writable_fields:
                value = data.get(field.field_name)
                if value is None or not _is_string_in_schema(field):
                    continue
                if not isinstance(value, str):
                    wrong[field.field_name] = [NOT_A_STRING]
                elif _too_long(field, value):
                    wrong[field.field_name] = [field.error_messages["max_length"].format(max_length=field.max_length)]
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class Serializer(JsonTypesMixin, serializers.Serializer[Any]):
    pass


class ModelSerializer(JsonTypesMixin, serializers.ModelSerializer[Any]):
    pass


_kept: dict[type[serializers.BaseSerializer[Any]], serializers.BaseSerializer[Any]] = {}


def _kept_serializer(serializer_class: type[serializers.BaseSerializer[Any]]) -> serializers.BaseSerializer[Any]:
    """One serializer of the class for the process, its fields built once: DRF builds a
    serializer's fields anew for each instance (a deep copy of the declared ones, and for
    a ModelSerializer a mapping of the model's fields too), most of the CPU it takes to
    read a body or write an answer (docs/performance.md). Neither run_validation nor
    to_representation keeps anything on a serializer or its fields (a field's validators
    are made on first use, the same whichever thread makes them), so one serves every
    thread. Only for serializers that need nothing of the call: no context, instance or
    partial, and no validate method reading initial_data."""
    kept = _kept.get(serializer_class)
    if kept is None:
        kept = serializer_class()
        kept.fields  # type: ignore[attr-defined]  # noqa: B018 (built here, before any thread shares it)
        kept = _kept.setdefault(serializer_class, kept)
    return kept


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The validated data of `data`, or the 400 naming each bad field: what
    `serializer_class(data=data).is_valid(raise_exception=True)` gives, read by the
    class's kept serializer."""
    try:
        validated_data: dict[str, Any] = _kept_serializer(serializer_class).run_validation(data)
    except serializers.ValidationError as refused:
        errors = refused.detail
        # is_valid's words for a body of null (Serializer.errors)
        if isinstance(errors, list) and len(errors) == 1 and getattr(errors[0], "code", None) == "null":
            errors = {api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail("No data provided", code="null")]}
        raise serializers.ValidationError(errors) from None
    return validated_data


def validated_query(serializer_class: type[serializers.BaseSerializer[Any]], request: Any) -> dict[str, Any]:
    """The validated query string. Read as a plain dict, so that a blank parameter
    (?status=) is the 400 of a bad value, where DRF reads a blank one in a QueryDict as
    left out, and a filter asked for would silently not apply."""
    return validated(serializer_class, request.query_params.dict())


def represent(serializer_class: type[serializers.Serializer[Any]], instance: Any) -> Any:
    """What `serializer_class(instance).data` gives, from the class's kept serializer,
    so its fields are built once rather than for every response. For serializers whose
    output needs no context (no request in it)."""
    return _kept_serializer(serializer_class).to_representation(instance)
