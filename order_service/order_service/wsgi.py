from common.entrypoints import wsgi_application

application = wsgi_application("order_service.settings")
