"""Settings of the book service: authors, categories, books."""

from pathlib import Path

from common.settings import env_float, env_int, env_str, service_settings, var_dir

# common.outbox (the events handled once) and common.revocation: account.deleted and
# account.deactivated, after which the account's tokens are refused here.
globals().update(
    service_settings(
        "book", base_dir=Path(__file__).resolve().parent.parent, apps=["common.outbox", "common.revocation", "catalog"]
    )
)
# How long a cached answer of the catalog is kept at most (catalog/cache.py); 0: none is.
CATALOG_CACHE_SECONDS = env_float("CATALOG_CACHE_SECONDS", 60.0)

# Book covers (catalog/covers.py), stored through Django's default storage: files under
# MEDIA_ROOT, which book_service serves itself under MEDIA_URL (inside /api/books/, so the
# gateway routes it and it is public like the books), or an S3-compatible bucket through
# django-storages when MEDIA_S3_BUCKET is set (docs/api.md, "Covers").
MEDIA_ROOT = env_str("MEDIA_ROOT", str(var_dir(Path(__file__).resolve().parents[2]) / "media" / "book"))
MEDIA_URL = "/api/books/media/"
# Below the gateway's 1 MiB body limit (GATEWAY_MAX_BODY_BYTES), with room for the form around it.
COVER_MAX_BYTES = env_int("COVER_MAX_BYTES", 1_000_000)
if MEDIA_S3_BUCKET := env_str("MEDIA_S3_BUCKET"):
    STORAGES = {
        **globals()["STORAGES"],
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": MEDIA_S3_BUCKET,
                "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL") or None,  # MinIO, R2, ...: not AWS
                "region_name": env_str("MEDIA_S3_REGION") or None,
                "custom_domain": env_str("MEDIA_S3_CUSTOM_DOMAIN") or None,  # a CDN in front
                "querystring_auth": False,  # covers are public: plain, cacheable URLs
                "file_overwrite": False,
            },
        },
    }
