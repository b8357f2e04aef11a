"""Short messages to workers (SMS or WhatsApp) through one small provider interface.

A provider takes a phone number and a text and returns its id for the
message, or raises :class:`MessageFailed`. The default, ``log``, only writes
the message to the application log (the number masked, as phone numbers are
personal data) so that nothing leaves the machine until a real gateway is
configured; a gateway is a subclass registered in :data:`PROVIDERS` and
chosen with ``MESSAGE_PROVIDER``.
"""

import secrets

from flask import current_app


class MessageFailed(Exception):
    """The provider did not take the message; ``str()`` says why."""


class MessageSender:
    """The interface every message provider implements."""

    #: Stored with each message it took.
    name = ""

    def __init__(self, app):
        self.channel = app.config.get("MESSAGE_CHANNEL") or "whatsapp"

    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's id for the message or raise :class:`MessageFailed`."""
        raise NotImplementedError


class LoggingSender(MessageSender):
    """Write messages to the log instead of sending them: the default, and what tests use."""

    name = "log"

    def send(self, phone: str, text: str) -> str:
        """Log the message with the number masked; return a random id."""
        ref = f"log-{secrets.token_hex(6)}"
        current_app.logger.info("%s message %s to ***%s: %s", self.channel, ref, phone[-4:], text)
        return ref


#: name -> provider class, for ``MESSAGE_PROVIDER``.
PROVIDERS: dict[str, type[MessageSender]] = {"log": LoggingSender}


def sender() -> MessageSender:
    """Return the configured message provider (built once per app)."""
    senders = current_app.extensions.setdefault("donate_messaging", {})
    name = current_app.config.get("MESSAGE_PROVIDER") or "log"
    if name not in senders:
        if name not in PROVIDERS:
            raise RuntimeError(f"unknown message provider {name!r}; choose from {', '.join(PROVIDERS)}")
        senders[name] = PROVIDERS[name](current_app)
    return senders[name]
