"""A real SMTP server (aiosmtpd) for the end-to-end suite: notification_service sends
its emails to it over SMTP, and tests read what arrived. It can be taken down and
brought back on the same port, to see that failed emails are sent again."""

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.e2e.stand_ins import StandIn
from tests.e2e.waiting import wait_until


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]  # the SMTP envelope's recipients: where it was really delivered
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])  # decoded, Vietnamese included

    @property
    def body(self) -> str:
        return self.message.get_content()


class Mailbox(StandIn):
    def __init__(self, port: int):
        self.port = port
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                with mailbox._lock:
                    mailbox.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [mail for mail in self.mails if address in mail.rcpt_tos]

    def wait_for(self, address: str, subjects: set[str], timeout: float = 20.0) -> list[Mail]:
        """Polls until mails with all of `subjects` reached `address`; returns that address's mails, or fails."""
        return wait_until(
            f"mails {subjects} to {address}",
            lambda: (mails := self.to(address)) and subjects <= {mail.subject for mail in mails} and mails,
            timeout,
        )
