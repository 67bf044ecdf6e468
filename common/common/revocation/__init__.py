"""Accounts whose access tokens a service no longer takes: deleted or deactivated ones.

customer_service publishes account.deleted and account.deactivated; every service that
takes a person's token hears them (common.events) and records the account here, in its
own database, in the event's transaction (event_handlers). common.auth's
ClaimsAuthentication then refuses a token issued before that moment. Each process reads
the recent records again every REVOCATIONS_REFRESH_SECONDS, so a token stops working at a
service within that time of the event reaching any replica of it, and at the latest when
it expires (JWT_ACCESS_MINUTES). A deleted account stays recorded for good: an event about
it that arrives later (the outbox does not order deliveries) makes nothing personal again.
"""
