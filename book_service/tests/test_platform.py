"""Health, readiness, docs, admin and error shape, as every service must serve them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from common.testing.platform_tests import *  # noqa: F403


def test_covers_go_to_an_s3_bucket_when_one_is_named():
    """The production option (docs/api.md, "Covers"): the settings alone, as boto3 is not installed."""
    code = "from book_service import settings; import json; print(json.dumps(settings.STORAGES['default']))"
    env = {**os.environ, "MEDIA_S3_BUCKET": "shop-covers", "MEDIA_S3_ENDPOINT_URL": "http://minio:9000"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True
    )

    storage = json.loads(out.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "shop-covers"
    assert storage["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert storage["OPTIONS"]["querystring_auth"] is False
