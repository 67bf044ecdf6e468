from common.entrypoints import wsgi_application

application = wsgi_application("payment_service.settings")
