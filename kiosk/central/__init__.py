"""The kiosk side of the central link (central-api.md): the request table (requests), client, the
Central protocol flows use (port) and its gateway, queued delivery, response models, heartbeat,
remote commands."""

from kiosk.central.client import CentralClient, Timeouts
from kiosk.central.errors import (
    CentralAuthError,
    CentralError,
    CentralProtocolError,
    CentralRejected,
    CentralUnavailable,
    Reason,
)

__all__ = [
    "CentralAuthError",
    "CentralClient",
    "CentralError",
    "CentralProtocolError",
    "CentralRejected",
    "CentralUnavailable",
    "Reason",
    "Timeouts",
]
