from common.entrypoints import wsgi_application

application = wsgi_application("notification_service.settings")

# Each web process sweeps for due emails (retries); only here, not in manage.py or tests.
from notifications import sweeper  # noqa: E402 (Django is set up by the line above)

sweeper.start_in_background()
