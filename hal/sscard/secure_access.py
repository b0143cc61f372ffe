"""Pluggable secure access: who computes the external-authentication cryptogram for a card.

A 3rd-generation card releases personal data only after ``EXTERNAL AUTHENTICATE`` with a
cryptogram over its own challenge (key ref 0A to read, 04 to write EF06). The kiosk holds no
card keys: a PSAM in a second PC/SC slot or the central HSM computes the cryptogram.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from hal.sscard import apdu
from hal.sscard.errors import CardAbsent, CardProtocolError, SecureAccessRequired
from hal.sscard.pcsc_transport import PcscTransport
from hal.status import Action, DeviceError, DeviceUnavailable

log = logging.getLogger(__name__)


@runtime_checkable
class SecureAccess(Protocol):
    name: str

    def cryptogram(self, challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        """16-byte cryptogram over the card's 8-byte challenge for ``key_ref`` (apdu.AUTH_*).

        ``card_id_code`` lets a production PSAM/HSM diversify the key per card. Raises
        ``DeviceError`` (never anything else) when it cannot.
        """
        ...


class NoSecureAccess:
    """1st/2nd-generation and test cards: nothing to authenticate with."""

    name = "none"

    def cryptogram(self, challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        raise SecureAccessRequired()


class PsamSecureAccess:
    """A PSAM card in another PC/SC reader (the SAM slot) computes the cryptogram."""

    name = "psam"

    def __init__(self, reader_pattern: str, *, command_timeout_s: float = 5.0) -> None:
        self._transport = PcscTransport(reader_pattern, command_timeout_s=command_timeout_s)
        self._lock = threading.Lock()

    def cryptogram(self, challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        command = apdu.psam_compute(key_ref, challenge)
        with self._lock:
            try:
                try:
                    data, sw = self._transport.exchange(command)
                except (CardAbsent, DeviceUnavailable):
                    # A stale handle after a pcscd restart or a PSAM reseat: one fresh attempt.
                    self._transport.disconnect(reset=False)
                    data, sw = self._transport.exchange(command)
            except CardAbsent:
                raise DeviceUnavailable("no PSAM in the SAM slot") from None
            except DeviceError:
                self._transport.disconnect(reset=False)
                raise
        if sw != apdu.SW_OK or len(data) != apdu.CRYPTOGRAM_LEN:
            raise CardProtocolError(f"PSAM refused the cryptogram (SW {sw:04X})", sw)
        return data

    def close(self) -> None:
        with self._lock:
            self._transport.close()


class CentralHsmSecureAccess:
    """The central HSM computes the cryptogram; the kiosk supplies ``compute`` (an API call).

    ``compute(challenge, key_ref, card_id_code) -> cryptogram``. Whatever it raises becomes a
    ``DeviceError('secure_access_failed')`` so the driver's callers see typed errors only.
    """

    name = "central_hsm"

    def __init__(self, compute: Callable[[bytes, int, str], bytes]) -> None:
        self._compute = compute

    def cryptogram(self, challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        try:
            result = self._compute(challenge, key_ref, card_id_code)
        except DeviceError:
            raise
        except Exception as exc:
            raise DeviceError("secure_access_failed", type(exc).__name__, Action.SUSPEND) from None
        if not isinstance(result, bytes | bytearray) or len(result) != apdu.CRYPTOGRAM_LEN:
            raise DeviceError("secure_access_failed", "HSM returned a malformed cryptogram", Action.SUSPEND)
        return bytes(result)
