"""A book's cover image as uploaded: checked before it is stored."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

# Pillow's name of each format taken, and the file extension it is stored with.
COVER_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def cover_extension(upload: UploadedFile) -> str:
    """The extension to store `upload` under, once it is known to be a JPEG, PNG or WebP
    image no larger than COVER_MAX_BYTES; else the 400 naming `cover`. Pillow reads the
    file itself: its name and declared content type are the client's word only."""
    if upload.size is None or upload.size > settings.COVER_MAX_BYTES:
        raise _refused(f"A cover is at most {settings.COVER_MAX_BYTES:,} bytes.")
    try:
        with Image.open(upload) as image:
            image.verify()  # the structure of the whole file, not only its header
            image_format = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refused("The file is not an image Pillow can read.") from None
    finally:
        upload.seek(0)
    if image_format not in COVER_FORMATS:
        raise _refused(f"A cover is a JPEG, PNG or WebP image, not {image_format}.")
    return COVER_FORMATS[image_format]


def _refused(message: str) -> ValidationError:
    return ValidationError({"cover": [message]})
