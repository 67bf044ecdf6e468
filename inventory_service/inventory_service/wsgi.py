from common.entrypoints import wsgi_application

application = wsgi_application("inventory_service.settings")
