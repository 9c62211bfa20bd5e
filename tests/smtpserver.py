"""A real, scriptable SMTP server on 127.0.0.1 for the send tests (aiosmtpd in a thread).

The handler records every accepted envelope and can be told to misbehave:
answer 451 to the first DATA commands, 550 to RCPT for chosen addresses, or
drop the connection at the Nth DATA. The controller counts TCP connections.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd's Controller does not accept port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple
    content: bytes
    tls: bool


class Handler:
    """Accepts mail and records it; the attributes script the failures."""

    def __init__(self, *, temporary_data_failures: int = 0, reject: tuple = (), drop_at_data: int | None = None) -> None:
        self.temporary_data_failures = temporary_data_failures  # answer 451 to this many DATA commands first
        self.reject = {address.lower() for address in reject}  # answer 550 to RCPT for these
        self.drop_at_data = drop_at_data  # close the connection at this DATA command (1-based, counted over the run)
        self.messages: list[Received] = []
        self.data_commands = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
            if self.drop_at_data == number:
                server.transport.close()  # gone before any reply: the client sees the connection drop
                return "421 4.4.2 connection dropped"
            if self.temporary_data_failures > 0:
                self.temporary_data_failures -= 1
                return "451 4.3.0 try again later"
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content),
                                          session.ssl is not None))
        return "250 2.0.0 accepted"


class CountingController(Controller):
    """A Controller that counts the connections it serves."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


class SmtpServer:
    """Start with `with SmtpServer(...) as server:`; `server.port`, `server.messages`, `server.connections`."""

    def __init__(self, handler: Handler | None = None, **smtp_kwargs) -> None:
        self.handler = handler or Handler()
        self.port = free_port()
        self.controller = CountingController(self.handler, hostname=HOST, port=self.port, **smtp_kwargs)
        self.running = False

    def start(self) -> "SmtpServer":
        self.controller.start()
        self.controller.connections = 0  # start() opened one connection of its own to check the server is up
        self.running = True
        return self

    def stop(self) -> None:
        """Stop the server (again is fine: a test may stop it mid-run to play a server that dies)."""
        if self.running:
            self.controller.stop()
            self.running = False

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def messages(self) -> list[Received]:
        return list(self.handler.messages)

    @property
    def connections(self) -> int:
        return self.controller.connections

    def count_by_address(self) -> Counter:
        """How many accepted messages each address got."""
        return Counter(address for message in self.handler.messages for address in message.rcpt_tos)


class Authenticator:
    """An aiosmtpd authenticator that records what it was given and accepts or refuses every login."""

    def __init__(self, accept: bool) -> None:
        self.accept = accept
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((bytes(auth_data.login), bytes(auth_data.password)))
        return AuthResult(success=self.accept, handled=False)
