"""The frame every service flow runs in.

A flow is plain Python running on the background worker. It shows a ``View`` (what the
screen should render), waits for a ``UserInput`` or a device, and ends in one ``End``.
Cancel, idle timeout, card removal, device faults and link loss are raised from inside
``ask``/``wait_for`` and turned into an end by ``run_flow``: the global fault transition.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from hal.interfaces import CardReader, IdCardReader
from hal.status import DeviceError
from kiosk.central.port import Central
from kiosk.clock import Clock
from kiosk.config import Config
from kiosk.devices import DeviceSet
from kiosk.domain.device_layout import LayoutSection, where_params
from kiosk.domain.services import ServiceId
from kiosk.flows.ports import FlowDevices, FlowServices
from kiosk.session import Session
from kiosk.strings import table, template

log = logging.getLogger("kiosk.flow")
ID_CARD_POLL_S = 0.5
ID_CARD_MISSES = 2
T = TypeVar("T")


class End(StrEnum):
    DONE = "done"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    REFUSED = "refused"  # a business rule said no; the view listed every reason
    FAULT = "fault"  # device or link failure
    CARD_REMOVED = "card_removed"


@dataclass(frozen=True)
class View:
    """What a screen renders. ``params`` hold display values, already masked."""

    service: ServiceId
    screen: str
    step: int
    total: int
    title: str  # string-table keys
    message: str
    params: Mapping[str, str] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for 'choose'
    timeout_s: float | None = None
    busy: bool = False
    end: End | None = None

    def choice_params(self, value: str) -> dict[str, str]:
        """A choice's label may be a string key with parameters of its own: they travel in
        ``params`` as ``choice.<n>.<name>`` (n: the choice's place, never its value, which may be
        a card number), so the screen shows them in its language."""
        place = next((i for i, (v, _label) in enumerate(self.choices) if v == value), None)
        if place is None:
            return {}
        prefix = choice_param(place, "")
        return {k[len(prefix):]: v for k, v in self.params.items() if k.startswith(prefix)}


NO_RECEIPT = "prompt.no_receipt."  # an end message's twin for when the receipt did not print


def receipt_message(key: str, printed: bool) -> str:
    """The end message ``key`` ("…请取走回执"), or, when the receipt printer failed, its twin
    ``prompt.no_receipt.<name>`` that asks for no receipt (the result page adds what to do without one:
    screens/design/results.py). A message that names no receipt has no twin and is kept."""
    twin = NO_RECEIPT + key.removeprefix("prompt.")
    return twin if not printed and twin in table("zh") else key


def printed_message(message: str) -> str:
    """The end message's key as when the receipt printed: what the result page's kind goes by."""
    return "prompt." + message.removeprefix(NO_RECEIPT) if message.startswith(NO_RECEIPT) else message


def choice_param(place: int, name: str) -> str:
    """The ``params`` key of one parameter of the label of the choice at ``place`` (View.choice_params)."""
    return f"choice.{place}.{name}"


@dataclass(frozen=True)
class UserInput:
    action: str  # e.g. confirm, back, cancel, choose, more_time
    value: str = ""

    def __repr__(self) -> str:  # values may be phone numbers
        return f"UserInput({self.action})"


class FlowInterrupt(Exception):
    end: End = End.FAULT

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Cancelled(FlowInterrupt):
    end = End.CANCELLED

    def __init__(self, code: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.reasons = reasons  # what the end page adds (e.g. what the citizen's choice means)


class IdleTimeout(FlowInterrupt):
    end = End.TIMED_OUT


class CardRemoved(FlowInterrupt):
    end = End.CARD_REMOVED


class Refused(FlowInterrupt):
    end = End.REFUSED

    def __init__(self, code: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.reasons = reasons or (f"reason.{code}",)


class LinkLost(FlowInterrupt):
    end = End.FAULT


@dataclass(frozen=True)
class FlowResult:
    end: End
    code: str = ""
    transaction_no: str = ""
    reasons: tuple[str, ...] = ()


class FlowChannel:
    """The two-way line between a running flow and the screen showing it.

    ``layout``: where this kiosk's devices sit (set from the config by FlowContext); a view's text
    naming a device's place ``{where_<device>}`` gets the position from it, for screen and voice."""

    def __init__(self, emit: Callable[[View], None]) -> None:
        self._emit = emit
        self._inputs: queue.Queue[UserInput] = queue.Queue()
        self.current: View | None = None
        self.layout = LayoutSection()

    def show(self, view: View) -> None:
        view = placed(view, self.layout)
        self.current = view
        self._emit(view)

    def send(self, user_input: UserInput) -> None:
        """Called from the UI thread; never blocks."""
        self._inputs.put(user_input)

    def poll(self, timeout_s: float) -> UserInput | None:
        try:
            return self._inputs.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            return None

    def drain(self) -> None:
        while not self._inputs.empty():
            self._inputs.get_nowait()


def placed(view: View, layout: LayoutSection) -> View:
    """``view`` with the ``{where_<device>}`` positions its message and reasons name."""
    extra = where_params(layout, (template("zh", k) for k in (view.message, *view.reasons)), view.params)
    return dataclasses.replace(view, params={**view.params, **extra}) if extra else view


def elderly_timeout_factor(config: Config) -> float:
    """How much longer a citizen in elderly mode gets on every idle wait ([voice] section)."""
    return max(1.0, float(config.voice.elderly_timeout_factor))


class FlowContext:
    """Everything a flow may touch. Built by the runtime for each session.

    ``elderly``: the citizen chose elderly mode; every idle wait (a screen waiting for a tap,
    for a card to be placed, inserted or taken) lasts ``elderly_timeout_factor`` times longer.
    """

    def __init__(
        self,
        *,
        channel: FlowChannel,
        session: Session,
        clock: Clock,
        devices: DeviceSet,
        central: Central,
        services: FlowServices,
        config: Config,
        elderly: bool = False,
    ) -> None:
        self.elderly = elderly
        self.channel = channel
        channel.layout = config.layout  # the instructions' direction words follow this cabinet
        self.session = session
        self.clock = clock
        self.devices = FlowDevices(devices)
        self.central = central
        self.services = services  # ledgers, journals, alarms, receipt: kiosk.runtime.Services
        self.config = config
        self.interrupt: FlowInterrupt | None = None  # set by watchers (e.g. card removed)
        self._id_reader: IdCardReader | None = None
        self._id_misses = 0
        self._id_polled = 0.0
        self._watched: dict[int, bool] = {}  # id(reader) -> removal interrupts the flow
        self._removal_code = "card_removed"

    def watch_id_card(self, reader: IdCardReader) -> None:
        """The ID card just read must stay on the reader until the flow ends (or is unwatched)."""
        self._id_reader = reader
        self._id_misses = 0
        self._id_polled = self.clock.monotonic()

    def unwatch_id_card(self) -> None:
        self._id_reader = None

    def _poll_id_card(self) -> None:
        # SAM readers have no insertion events: poll, and debounce, since a SAM may briefly
        # answer "no card" for a card it has just read.
        reader = self._id_reader
        if reader is None or self.clock.monotonic() - self._id_polled < ID_CARD_POLL_S:
            return
        self._id_polled = self.clock.monotonic()
        try:
            present = bool(reader.card_present())
        except DeviceError:
            return  # a reader fault is not a removal; the device status reports it
        self._id_misses = 0 if present else self._id_misses + 1
        if self._id_misses >= ID_CARD_MISSES:
            self._id_reader = None
            raise CardRemoved("id_card_removed")

    def _check(self, user_input: UserInput | None) -> None:
        if self.interrupt is not None:
            raise self.interrupt
        self._poll_id_card()
        if user_input is not None and user_input.action == "cancel":
            raise Cancelled("cancel")

    def idle_timeout(self, seconds: float) -> float:
        """An idle wait's length for this citizen (longer in elderly mode)."""
        return seconds * elderly_timeout_factor(self.config) if self.elderly else seconds

    def ask(self, view: View) -> UserInput:
        """Show a view and wait for one of its actions; 'more_time' restarts the timer."""
        timeout = self.idle_timeout(view.timeout_s if view.timeout_s is not None else self.config.timeouts.idle_s)
        view = _with_timeout(view, timeout)
        self.channel.show(view)
        deadline = self.clock.monotonic() + timeout
        while True:
            left = deadline - self.clock.monotonic()
            if left <= 0:
                raise IdleTimeout(view.screen)
            got = self.channel.poll(min(left, 0.25))
            self._check(got)
            if got is None:
                continue
            if got.action == "more_time":
                deadline = self.clock.monotonic() + timeout
                self.channel.show(view)  # the screen restarts its countdown
                continue
            if got.action in view.actions:
                return got

    def wait_for(self, view: View, attempt: Callable[[float], T | None], timeout_s: float) -> T:
        """Show a view and poll a device in short slices until it yields, staying cancellable.

        ``timeout_s`` is how long the citizen has to act (place, insert, take a card): an idle
        wait, stretched in elderly mode like :meth:`ask`'s."""
        got = self._wait(view, attempt, timeout_s, taps=False)
        assert not isinstance(got, UserInput)
        return got

    def wait_for_or_tap(self, view: View, attempt: Callable[[float], T | None], timeout_s: float) -> T | UserInput:
        """:meth:`wait_for`, but a tap on one of the view's actions other than cancel ends the wait too
        (e.g. "the child has no ID card" while the kiosk waits for one)."""
        return self._wait(view, attempt, timeout_s, taps=True)

    def _wait(self, view: View, attempt: Callable[[float], T | None], timeout_s: float,
              *, taps: bool) -> T | UserInput:
        timeout_s = self.idle_timeout(timeout_s)
        self.channel.show(_with_timeout(view, timeout_s))
        deadline = self.clock.monotonic() + timeout_s
        while True:
            got = self.channel.poll(0)
            self._check(got)
            if taps and got is not None and got.action in view.actions:
                return got
            left = deadline - self.clock.monotonic()
            if left <= 0:
                raise IdleTimeout(view.screen)
            result = attempt(min(left, 0.3))
            if result is not None:
                return result

    def finish(self, view: View) -> None:
        """Show an end view until 'home' or its timeout; nothing can interrupt an ended flow."""
        self.unwatch_id_card()
        for key in self._watched:
            self._watched[key] = False
        self.interrupt = None
        with contextlib.suppress(FlowInterrupt):
            self.ask(view)

    def watch_removal(self, reader: CardReader, code: str = "card_removed") -> None:
        """From now until the flow ends, taking the card out of ``reader`` interrupts the flow."""
        _removal_dispatcher(reader).ctx = weakref.ref(self)
        self._watched[id(reader)] = True
        self._removal_code = code
        if not reader.card_present():
            raise CardRemoved(code)

    def unwatch_removal(self, reader: CardReader) -> None:
        """The card may now leave (e.g. the flow asks the citizen to take it)."""
        self._watched[id(reader)] = False

    def check(self) -> None:
        """Raise a pending cancel or interrupt (for flows polling a device themselves)."""
        self._check(self.channel.poll(0))

    def working(self, view: View) -> None:
        """Show a busy view (no input expected) and honour a pending cancel or interrupt."""
        self._check(self.channel.poll(0))
        self.channel.show(_with_timeout(view, None, busy=True))


class _RemovalDispatcher:
    """One card-event listener per reader for the process's lifetime (readers cannot unregister),
    forwarding removals to the flow that currently watches that reader."""

    def __init__(self, reader_id: int) -> None:
        self.reader_id = reader_id
        self.ctx: weakref.ref[FlowContext] | None = None

    def __call__(self, present: bool) -> None:
        ctx = self.ctx() if self.ctx is not None else None
        if ctx is not None and not present and not ctx.session.wiped and ctx._watched.get(self.reader_id):
            ctx.interrupt = CardRemoved(ctx._removal_code)


_DISPATCHERS: weakref.WeakKeyDictionary[CardReader, _RemovalDispatcher] = weakref.WeakKeyDictionary()
_DISPATCHERS_LOCK = threading.Lock()


def _removal_dispatcher(reader: CardReader) -> _RemovalDispatcher:
    with _DISPATCHERS_LOCK:
        found = _DISPATCHERS.get(reader)
        if found is None:
            found = _DISPATCHERS[reader] = _RemovalDispatcher(id(reader))
            reader.on_card_event(found)
        return found


def _with_timeout(view: View, timeout: float | None, busy: bool = False) -> View:
    from dataclasses import replace

    return replace(view, timeout_s=timeout, busy=busy or view.busy)


class Flow(ABC):
    service: ServiceId
    total_steps: int = 1

    @abstractmethod
    def steps(self, ctx: FlowContext) -> FlowResult:
        """The service's happy path and its business refusals."""

    def on_fault(self, ctx: FlowContext, exc: BaseException) -> None:  # noqa: B027 - optional hook
        """Clean-up a flow needs after an interrupt (e.g. reject a half-made card)."""

    def standing(self) -> tuple[str, ...]:
        """What this session changed that stays in effect whatever its end (string keys, e.g. a loss
        report made before a replacement): the end page says so when the session stops short of done."""
        return ()

    def view(self, screen: str, step: int, message: str, *, params: Mapping[str, str] | None = None,
             actions: tuple[str, ...] = (), reasons: tuple[str, ...] = (),
             choices: tuple[tuple[str, str], ...] = (), timeout_s: float | None = None, busy: bool = False,
             end: End | None = None) -> View:
        return View(
            service=self.service,
            screen=screen,
            step=step,
            total=self.total_steps,
            title=f"service.{self.service.value}",
            message=message,
            params=params or {},
            actions=actions,
            reasons=reasons,
            choices=choices,
            timeout_s=timeout_s,
            busy=busy,
            end=end,
        )


def new_transaction_no(clock: Clock, kiosk_id: str) -> str:
    return f"{clock.now():%Y%m%d%H%M%S}-{kiosk_id[-4:]}-{uuid.uuid4().hex[:6].upper()}"


def run_flow(flow: Flow, ctx: FlowContext) -> FlowResult:
    """Run a flow to one of its ends; the session is wiped on every path."""
    result: FlowResult
    try:
        result = flow.steps(ctx)
    except FlowInterrupt as exc:
        _safe_on_fault(flow, ctx, exc)
        result = FlowResult(exc.end, exc.code, reasons=getattr(exc, "reasons", ()))
    except DeviceError as exc:
        _safe_on_fault(flow, ctx, exc)
        result = FlowResult(End.FAULT, f"device.{exc.code}")
    except Exception as exc:  # a bug must end the session, not leave the kiosk stuck
        log.exception("flow crashed", extra={"service": flow.service.value})
        _safe_on_fault(flow, ctx, exc)
        result = FlowResult(End.FAULT, "internal_error")
    finally:
        cards_read = _cards_read(ctx)
        ctx.session.wipe()
    if result.end is not End.DONE:  # stopped short: say what the session already changed for good
        result = dataclasses.replace(result, reasons=(*result.reasons,
                                                      *(r for r in flow.standing() if r not in result.reasons)))
    if ctx.channel.current is None or ctx.channel.current.end is None:
        ctx.channel.drain()
        ctx.finish(
            View(
                service=flow.service,
                screen="end",
                step=flow.total_steps,
                total=flow.total_steps,
                title=f"service.{flow.service.value}",
                message=f"end.{result.end.value}",
                params={"code": result.code, "hotline": ctx.config.kiosk.hotline},
                reasons=result.reasons,
                actions=("home",),
                end=result.end,
                timeout_s=ctx.config.timeouts.idle_warning_s,
            )
        )
    _take_cards_back(flow, ctx, cards_read, result.end)
    log.info("flow ended", extra={"service": flow.service.value, "end": result.end.value, "code": result.code})
    return result


@dataclass(frozen=True)
class _LeftCard:
    """A card of the citizen's that a session read, and what to do if it stays in its reader."""

    device: str  # device name, as in alarms and statuses
    present: Callable[[], bool]
    message: str  # string-table key of the "take your card" prompt
    alarm: str  # alarm code when it is still there after the take timeout
    alarm_text: str


def _cards_read(ctx: FlowContext) -> list[_LeftCard]:
    """The citizen's cards this session read (checked before the wipe drops the session)."""
    cards: list[_LeftCard] = []
    if "id_card" in ctx.session or "guardian_id_card" in ctx.session:
        with contextlib.suppress(DeviceError):
            id_reader = ctx.devices.id_reader
            cards.append(_LeftCard("id_reader", id_reader.card_present, "prompt.take_id_card",
                                   "id_card_left_behind", "ID card left behind"))
    if "sscard" in ctx.session:
        with contextlib.suppress(DeviceError):
            card_reader = ctx.devices.card_reader
            cards.append(_LeftCard("card_reader", card_reader.card_present, "prompt.take_sscard",
                                   "sscard_left_behind", "social security card left behind"))
    return cards


def _take_cards_back(flow: Flow, ctx: FlowContext, cards: list[_LeftCard], end: End) -> None:
    """Every session end that read a citizen's card asks to take it (screen and voice; an end view,
    the session being over) until its reader is empty; after ``card_take_s`` a card still there
    raises a warning alarm."""
    for card in cards:
        if _still_there(card, ctx, ctx.idle_timeout(ctx.config.timeouts.card_take_s), flow, end):
            ctx.services.alarm(card.alarm, card.alarm_text, device=card.device, severity="warning")


def _still_there(card: _LeftCard, ctx: FlowContext, timeout_s: float, flow: Flow, end: End) -> bool:
    misses = 0
    shown = False
    deadline = ctx.clock.monotonic() + timeout_s
    while True:
        try:
            present = card.present()
        except DeviceError:
            return False  # a faulty reader is reported by its status, not as a card left behind
        misses = 0 if present else misses + 1
        if misses >= ID_CARD_MISSES:  # debounced, as readers may briefly answer "no card"
            return False
        if present and not shown:
            shown = True
            ctx.channel.show(View(service=flow.service, screen=card.message.removeprefix("prompt."),
                                  step=flow.total_steps, total=flow.total_steps, title=f"service.{flow.service.value}",
                                  message=card.message, timeout_s=timeout_s, end=end))
        if ctx.clock.monotonic() >= deadline:
            return True
        ctx.channel.poll(0.1)  # nothing to answer: the citizen only has to take the card


def _safe_on_fault(flow: Flow, ctx: FlowContext, exc: BaseException) -> None:
    try:
        flow.on_fault(ctx, exc)
    except Exception:
        log.exception("flow clean-up failed", extra={"service": flow.service.value})
