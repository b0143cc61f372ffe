"""The optional WLT photo decoder plug-in.

WLT is a licensed compressed format; decoding needs the reader vendor's library. A deployment
that has one wraps it in a class with ``decode(wlt) -> bmp`` and names it in the configuration
by dotted path (``package.module:Name`` or ``package.module.Name``). Without one the driver
returns ``photo_bmp = None`` and the face check falls back to the photo on record.
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol, runtime_checkable

from hal.status import Action, DeviceError

log = logging.getLogger(__name__)


@runtime_checkable
class WltDecoder(Protocol):
    def decode(self, wlt: bytes) -> bytes | None:
        """The 102x126 BMP for a 1024-byte WLT blob, or None if it cannot be decoded."""
        ...


def load_wlt_decoder(dotted_path: str) -> WltDecoder:
    """Import ``module:attr`` (or ``module.attr``); a class is instantiated without arguments."""
    module_name, sep, attr = dotted_path.partition(":")
    if not sep:
        module_name, _, attr = dotted_path.rpartition(".")
    if not module_name or not attr:
        raise DeviceError("wlt_decoder_config", f"bad dotted path {dotted_path!r}", Action.MAINTENANCE)
    try:
        obj: object = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, type):
            obj = obj()
    except Exception as exc:  # a broken plug-in must not take the reader down with a traceback
        raise DeviceError(
            "wlt_decoder_unavailable", f"{dotted_path}: {type(exc).__name__}", Action.MAINTENANCE
        ) from exc
    if not isinstance(obj, WltDecoder):
        raise DeviceError("wlt_decoder_config", f"{dotted_path} has no decode()", Action.MAINTENANCE)
    return obj


def decode_photo(decoder: WltDecoder | None, wlt: bytes) -> bytes | None:
    """Run the plug-in; any failure means 'no decoded photo', never an exception."""
    if decoder is None or not wlt:
        return None
    try:
        bmp = decoder.decode(wlt)
    except Exception as exc:  # vendor code: anything can come out of it
        log.warning("WLT decoder failed: %s", type(exc).__name__)
        return None
    return bmp if isinstance(bmp, bytes) and bmp else None
