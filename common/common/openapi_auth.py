"""drf-spectacular's description of common.auth.ClaimsAuthentication: simplejwt's bearer
scheme, as for the class it extends (an extension matches its class by name)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ClaimsAuthenticationScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]  # its registration is untyped
    target_class = "common.auth.ClaimsAuthentication"
