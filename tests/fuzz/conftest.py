"""The fuzz suite runs on a stack of its own (the e2e harness's `stack` fixture), so
the data Schemathesis makes up never meets the end-to-end tests' data."""

from tests.e2e.conftest import stack  # noqa: F401 (the session fixture, reused as is)
