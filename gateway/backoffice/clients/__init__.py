"""The back office's calls to other services, one module per service."""
