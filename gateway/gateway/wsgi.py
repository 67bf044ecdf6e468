from common.entrypoints import wsgi_application

django_application = wsgi_application("gateway.settings")

from routing.handler import gateway_application  # noqa: E402 (needs Django set up first)

application = gateway_application(django_application)
