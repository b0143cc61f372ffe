"""The card driver's typed errors. Messages never carry personal data (only tags, SWs, lengths)."""

from __future__ import annotations

from hal.status import Action, DeviceError, DeviceUnavailable


class CardDataError(DeviceError):
    """A record or response the chip returned cannot be decoded (corrupt card or reader fault)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_card_data", message, Action.CLEAR)


class CardProtocolError(DeviceError):
    """The chip answered with a status word the operation cannot continue from."""

    def __init__(self, message: str, sw: int | None = None) -> None:
        super().__init__("card_protocol", message, Action.RESET)
        self.sw = sw


class SecureAccessRequired(DeviceError):
    """A 3rd-generation card wants external authentication and no secure access is configured."""

    def __init__(self, message: str = "card needs external authentication (PSAM/HSM)") -> None:
        super().__init__("secure_access_required", message, Action.MAINTENANCE)


class ReaderMissing(DeviceUnavailable):
    """pcscd runs but no reader matches the pattern (unplugged or misconfigured)."""


class CardAbsent(Exception):
    """Internal signal from the transport: no card in the reader (``removed`` = pulled mid-command).

    The driver turns it into a NO_CARD / CARD_REMOVED result; it never leaves ``hal.sscard``.
    """

    def __init__(self, removed: bool) -> None:
        super().__init__("card removed" if removed else "no card")
        self.removed = removed
