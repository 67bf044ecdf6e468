"""Batch reads by id (`?ids=1,2,3`, the catalog's books, the warehouse's stock levels,
accounts): one parser of the list and one shape of the answer, the items found and the
ids not; and `batch_read`, the one way a client module makes such a call."""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from rest_framework import serializers

from common.converters import MAX_ID
from common.errors import ServiceUnavailable
from common.http import client_for, peer_body

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


def batch_read(
    *,
    service: str,
    path: str,
    ids: Collection[int],
    item_shape: Mapping[str, Any],
    timeout: tuple[float, float] | None = None,
) -> list[Any]:
    """The client side: the items among `ids` that a peer's batch read (`GET path?ids=1,2,3`)
    finds, in one call per MAX_BATCH_IDS ids (one call for a page of the admin). Each item
    must have `item_shape` (common.http.conforms); a peer that is down, refuses the call or
    answers anything else raises ServiceUnavailable or ServiceTimeout naming it.
    `timeout` (connect, read): shorter than the client's own, for a caller that does
    without the answer rather than wait for it."""
    wanted = sorted(set(ids))
    found: list[Any] = []
    for start in range(0, len(wanted), MAX_BATCH_IDS):
        chunk = wanted[start : start + MAX_BATCH_IDS]
        params = {"ids": ",".join(str(i) for i in chunk)}
        response = client_for(service).get(path, params=params, **({"timeout": timeout} if timeout else {}))
        if response.status_code != 200:
            raise ServiceUnavailable(service, f"The {service} service refused the batch read ({response.status_code}).")
        found += peer_body(response, service=service, shape={"results": [dict(item_shape)]})["results"]
    return found
