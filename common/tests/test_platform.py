"""Health, readiness, docs, admin and error shape, as every service must serve them."""

from common.testing.platform_tests import *  # noqa: F403
