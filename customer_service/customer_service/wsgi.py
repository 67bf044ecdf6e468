from common.entrypoints import wsgi_application

application = wsgi_application("customer_service.settings")
