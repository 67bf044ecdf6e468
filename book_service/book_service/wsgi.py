from common.entrypoints import wsgi_application

application = wsgi_application("book_service.settings")
