"""The transactional outbox: events and HTTP calls written in the same database
transaction as the change they report, delivered afterwards until they succeed (or,
refused by their target as invalid, parked for a person to retry).

    from common.outbox.publisher import publish
    publish("order.created", {"order_id": 7, ...}, key="order:7")   # inside the change's transaction

`python manage.py dispatch_events` delivers them (make run, the end-to-end stack and
docker compose start one per service listed below); right after a commit a background
thread tries once at once so events do not wait for the next poll. Consumers
acknowledge an id they have seen and do nothing (common.outbox.consumer). See the
Events section of docs/architecture.md.
"""

# Services that install this app and publish: make run, the end-to-end stack and
# docker compose start one dispatcher process for each. A service that starts
# publishing adds its name here.
DISPATCHING_SERVICES: tuple[str, ...] = ("order", "payment", "customer", "inventory")
