from common.entrypoints import wsgi_application

application = wsgi_application("cart_service.settings")
