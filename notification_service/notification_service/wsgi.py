from common.entrypoints import wsgi_application

application = wsgi_application("notification_service.settings")
