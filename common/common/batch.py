"""Batch reads by id (`?ids=1,2,3`, the catalog's books, the warehouse's stock levels):
one parser of the list and one shape of the answer, the items found and the ids not."""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from rest_framework import serializers

from common.converters import MAX_ID

MAX_BATCH_IDS = 100  # what one call may ask for: a cart's lines are read in one


class IdListField(serializers.CharField):
    """`1,2,3` as sorted, distinct whole numbers from 1 to MAX_ID, at most MAX_BATCH_IDS."""

    # A CharField whose value is a list: DRF's stubs give a field one value type.
    def to_internal_value(self, data: Any) -> list[int]:  # type: ignore[override]
        raw = super().to_internal_value(data)
        try:
            ids = sorted({int(part) for part in raw.split(",") if part.strip()})
        except ValueError:
            raise serializers.ValidationError("ids must be whole numbers separated by commas.") from None
        if not ids:
            raise serializers.ValidationError("Give at least one id.")
        if len(ids) > MAX_BATCH_IDS:
            raise serializers.ValidationError(f"At most {MAX_BATCH_IDS} ids per request.")
        if ids[0] < 1 or ids[-1] > MAX_ID:
            raise serializers.ValidationError(f"ids are between 1 and {MAX_ID}.")
        return ids


def batch_answer(
    results: Collection[Mapping[str, Any]], *, asked: Iterable[int], id_field: str = "id"
) -> dict[str, Any]:
    """{count, results, missing_ids}: what was found, and which of the asked ids were not."""
    found = {item[id_field] for item in results}
    return {"count": len(results), "results": results, "missing_ids": [i for i in asked if i not in found]}
