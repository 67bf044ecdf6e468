"""The demo catalog's few covers, drawn here: the title and author in white on a colour
of the title's own, since no publisher's cover art may ship with the repository. The
English books only: the font Pillow carries is not checked for Vietnamese letters."""

import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

COVERED = ("Pride and Prejudice", "Nineteen Eighty-Four", "The Hobbit", "Sapiens: A Brief History of Humankind")
SIZE = (400, 600)


def demo_cover(title: str, author: str) -> bytes:
    """A PNG of `title` and `author`, the same each time for the same title."""
    shade = hashlib.sha256(title.encode()).digest()
    image = Image.new("RGB", SIZE, tuple(60 + byte % 120 for byte in shade[:3]))
    draw = ImageDraw.Draw(image)
    middle = SIZE[0] / 2
    for number, line in enumerate(textwrap.wrap(title, width=16)):
        draw.text((middle, 120 + 48 * number), line, font=ImageFont.load_default(size=36), fill="white", anchor="ma")
    draw.text((middle, SIZE[1] - 90), author, font=ImageFont.load_default(size=24), fill="white", anchor="ma")
    png = io.BytesIO()
    image.save(png, "PNG")
    return png.getvalue()
