"""The services' HTTP/1.1 client, shared with common.http: common.connections."""

from common.connections import Answer, ServiceConnections

__all__ = ["Answer", "ServiceConnections"]
