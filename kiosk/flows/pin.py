"""PIN entry on the PIN pad: key events become a digit count on screen; the PIN itself stays
inside the ``PinBlock`` the pad hands over and goes only to the card (or, in simulator mode,
to the central). The refusal rule for new PINs is kiosk.domain.pin_rules."""

from __future__ import annotations

from hal.types import PinBlock, PinEntryEventKind
from kiosk.domain.pin_rules import PIN_LENGTH, new_pin_problems, same_pin
from kiosk.flows.base import Cancelled, Flow, FlowContext, IdleTimeout, Refused

NEW_PIN_ATTEMPTS = 3


def enter_pin(ctx: FlowContext, flow: Flow, screen: str, step: int, message: str, pan: str, *,
              params: dict[str, str] | None = None, reasons: tuple[str, ...] = ()) -> PinBlock:
    """Show ``screen`` with a digit count, let the citizen type a PIN on the pad, return its block.

    View params: ``digits`` (how many typed), ``length`` (6), ``secure`` ("1" encrypting pad,
    "0" weaker on-screen/simulator mode), plus ``params``. Actions: cancel.
    """
    pad = ctx.devices.pin_pad
    timeout = ctx.idle_timeout(ctx.config.timeouts.pin_entry_s)  # longer in elderly mode
    base = {**(params or {}), "length": str(PIN_LENGTH), "secure": "1" if pad.secure else "0"}

    def show(digits: int, hint: tuple[str, ...]) -> None:
        ctx.channel.show(flow.view(screen, step, message, params={**base, "digits": str(digits)},
                                   reasons=hint, actions=("cancel",), timeout_s=timeout))

    pad.start_entry(PIN_LENGTH, PIN_LENGTH, timeout)
    show(0, reasons)
    deadline = ctx.clock.monotonic() + timeout
    try:
        while True:
            ctx.check()
            left = deadline - ctx.clock.monotonic()
            if left <= 0:
                raise IdleTimeout(screen)
            event = pad.next_event(min(left, 0.2))
            if event is None:
                continue
            kind = event.kind
            if kind in (PinEntryEventKind.DIGIT, PinEntryEventKind.BACKSPACE, PinEntryEventKind.CLEAR):
                show(event.digits_entered, reasons)
            elif kind is PinEntryEventKind.ENTER:
                if event.digits_entered < PIN_LENGTH:  # too short: start again, say why
                    pad.start_entry(PIN_LENGTH, PIN_LENGTH, timeout)
                    show(0, ("reason.pin_too_short",))
                    continue
                block: PinBlock = pad.get_pin_block(pan)
                return block
            elif kind is PinEntryEventKind.CANCEL:
                raise Cancelled("pin_cancelled")
            elif kind is PinEntryEventKind.TIMEOUT:
                raise IdleTimeout(screen)
    except BaseException:
        pad.cancel()
        raise


def enter_new_pin(ctx: FlowContext, flow: Flow, step: int, pan: str,
                  params: dict[str, str] | None = None) -> PinBlock:
    """The new PIN twice (screens ``new_pin`` then ``new_pin_again``); trivial and initial PINs and
    a mismatch are refused with the reason and asked again, up to NEW_PIN_ATTEMPTS times."""
    reasons: tuple[str, ...] = ()
    for _ in range(NEW_PIN_ATTEMPTS):
        first = enter_pin(ctx, flow, "new_pin", step, "prompt.new_pin", pan, params=params, reasons=reasons)
        reasons = new_pin_problems(first)
        if reasons:
            continue
        second = enter_pin(ctx, flow, "new_pin_again", step, "prompt.new_pin_again", pan, params=params)
        if same_pin(first, second):
            return first
        reasons = ("reason.pin_mismatch",)
    raise Refused("new_pin_refused", reasons)
