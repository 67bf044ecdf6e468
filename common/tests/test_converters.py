"""common.converters.IdConverter: only ids a bigint column can hold reach a view."""

import pytest

from common.converters import MAX_ID, IdConverter


@pytest.mark.parametrize("raw", ["1", "42", str(MAX_ID)])
def test_ids_a_database_can_hold_pass(raw):
    assert IdConverter().to_python(raw) == int(raw)


@pytest.mark.parametrize("raw", ["0", str(MAX_ID + 1), "9999999999999999999"])
def test_other_numbers_match_no_route(raw):
    with pytest.raises(ValueError, match=raw):
        IdConverter().to_python(raw)
