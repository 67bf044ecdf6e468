import pytest

from catalog.folding import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tiếng Việt", "tieng viet"),
        ("ĐƯỜNG  xưa", "duong xua"),
        ("Dế Mèn phiêu lưu ký", "de men phieu luu ky"),
        ("Straße", "strasse"),
        ("plain", "plain"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded
