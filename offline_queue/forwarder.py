"""The forwarder: a background thread that delivers due items and judges each answer.

It never blocks callers (enqueue only wakes it), survives any single item's failure, and
reports to the link monitor and the event sink. Uses /v1/batch when the due backlog reaches
``batch_threshold``; within a batch each item is judged on its own.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from offline_queue.classify import Verdict, classify, parse_retry_after, refusal
from offline_queue.errors import OfflineQueueError, TransportError
from offline_queue.events import EventSink, QueueEvent, emit
from offline_queue.link import LinkMonitor, LinkState
from offline_queue.store import DueItem, Outbox
from offline_queue.transport import MAX_BATCH, BatchItem, BatchItemResult, BatchRefused, Transport

FLUSH_REFORCE_S = 0.5


@dataclass(frozen=True)
class ForwarderConfig:
    batch_threshold: int = 20  # due items at which /v1/batch is used
    batch_size: int = MAX_BATCH  # at most MAX_BATCH (100), the contract's limit
    use_batch: bool = True
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0
    retry_after_cap_s: float = 3600.0
    idle_poll_s: float = 30.0  # longest sleep with nothing due
    other_writers_poll_s: float = 0.5  # how often an idle forwarder looks for other processes' enqueues
    auth_retry_s: float | None = 300.0  # probe again this long after a 401/403 (None: wait for resume())
    age_sweep_s: float = 60.0
    batch_off_s: float = 60.0  # after the server refused a batch envelope, send singly this long
    single_chunk: int = 20  # items claimed at once when sending one request per item


class Forwarder:
    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        link: LinkMonitor | None = None,
        config: ForwarderConfig | None = None,
        on_event: EventSink | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.link = link or LinkMonitor()
        self.config = config or ForwarderConfig()
        if not 1 <= self.config.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
        self._on_event = on_event
        self._rng = rng or random.Random()
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused = False
        self._paused_until = 0.0
        self._hold_until = 0.0  # after a wire failure nothing goes out before this
        self._batch_off_until = 0.0
        self._batch_unsupported = False
        self._last_sweep = 0.0
        # Told whenever this forwarder settled something (acked, dead-lettered, backed off), so a
        # caller waiting for one item's outcome sleeps until then instead of polling the table.
        self._settled = threading.Condition()
        self._settled_count = 0
        outbox.add_listener(self.wake)
        self.link.add_observer(self._on_link_change)

    # ---- control ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.outbox.recover_in_flight()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="offline-queue-forwarder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _on_link_change(self, state: LinkState) -> None:
        """Link back (seen by anyone: health probe, heartbeat, a direct call): send the backlog now
        instead of letting each item wait out its backoff."""
        if state.online and not self._paused:
            self._hold_until = 0.0
            self.outbox.make_all_due()
            self.wake()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        """Sending from this process (else another process, `kiosk sync`, owns the queue's sending)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def settled_count(self) -> int:
        """How many outcomes this forwarder has recorded; pass it to :meth:`wait_settled`."""
        with self._settled:
            return self._settled_count

    def wait_settled(self, seen: int, timeout: float) -> int:
        """Block until an outcome was recorded after ``seen`` (or ``timeout``); returns the new count."""
        with self._settled:
            self._settled.wait_for(lambda: self._settled_count != seen, timeout=max(0.0, timeout))
            return self._settled_count

    def _tell_settled(self) -> None:
        with self._settled:
            self._settled_count += 1
            self._settled.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def resume(self) -> None:
        """Technician/config reload: credentials fixed, send again now."""
        if self._paused:
            self._paused = False
            emit(self._on_event, QueueEvent("sending_resumed", "info", "offline queue sending resumed"))
        self.wake()

    def flush(self, timeout: float | None = None) -> bool:
        """Force flush: forget backoffs, send now; True once nothing is pending or in flight."""
        deadline = None if timeout is None else time.monotonic() + timeout
        forced_at = 0.0
        while self.outbox.undelivered() > 0:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            if now - forced_at >= FLUSH_REFORCE_S:
                # An attempt that was already on the wire when the flush began may fail and back
                # off again: keep forcing until the deadline, not just once.
                self._hold_until = 0.0
                self.outbox.make_all_due()
                forced_at = now
            self.wake()
            time.sleep(0.02)
        return True

    # ---- the loop ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_once()
            except Exception as exc:  # the forwarder must survive anything one cycle throws
                emit(
                    self._on_event,
                    QueueEvent("forwarder_error", "critical", f"forwarder cycle failed: {type(exc).__name__}"),
                )
                sent = 0
                self._stop.wait(1.0)
            if sent == 0:
                self._idle(self._sleep_for())

    def _idle(self, seconds: float) -> None:
        """Sleep until woken, or until another process (the kiosk UI, the CLI) changed the queue."""
        end = time.monotonic() + seconds
        seen = self.outbox.data_version()
        while not self._wake.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            self._wake.wait(min(left, self.config.other_writers_poll_s))
            if self.outbox.data_version() != seen:
                break
        self._wake.clear()

    def _sleep_for(self) -> float:
        now = self._clock()
        wait = self.config.idle_poll_s
        nxt = self.outbox.next_due_at()
        if nxt is not None:
            wait = min(wait, nxt - now)
        wait = max(wait, self._hold_until - now)
        if self._paused:
            wait = self._paused_until - now if self.config.auth_retry_s is not None else self.config.idle_poll_s
        return min(max(wait, 0.005), self.config.idle_poll_s)

    def run_once(self) -> int:
        """One cycle: age sweep, then one single send or one batch. Returns how many items went out."""
        now = self._clock()
        if now - self._last_sweep >= self.config.age_sweep_s:
            self._last_sweep = now
            self.outbox.flag_old()
        if now < self._hold_until:
            return 0
        if self._paused:
            if self.config.auth_retry_s is None or now < self._paused_until:
                return 0
            return self._send_singles(self.outbox.claim_due(1))  # probe with one item; success resumes
        batching = self._batching()
        items = self.outbox.claim_due(self.config.batch_size if batching else self.config.single_chunk)
        if not items:
            return 0
        if batching and len(items) >= self.config.batch_threshold:
            return self._send_batch(items)
        return self._send_singles(items)

    def _batching(self) -> bool:
        return self.config.use_batch and not self._batch_unsupported and self._clock() >= self._batch_off_until

    # ---- single -------------------------------------------------------------------------------------
    def _send_singles(self, items: Sequence[DueItem]) -> int:
        """One request per item, in claim order; stops early on a wire failure, a pause or stop()."""
        for n, item in enumerate(items):
            if n > 0 and (self._paused or self._stop.is_set() or self._clock() < self._hold_until):
                self.outbox.release([i.id for i in items[n:]])
                return n
            try:
                resp = self.transport.send(item.method, item.path, item.body, item.idempotency_key)
            except TransportError as exc:
                self._wire_failed([item], exc)
                self.outbox.release([i.id for i in items[n + 1 :]])
                return n + 1
            except Exception:
                self.outbox.release([i.id for i in items[n:]])
                raise
            self.link.report_success()
            self._judge(item, resp.status, resp.body, resp.headers.get("retry-after"))
            self._tell_settled()
        return len(items)

    # ---- batch --------------------------------------------------------------------------------------
    def _send_batch(self, items: Sequence[DueItem]) -> int:
        try:
            results = self.transport.send_batch([BatchItem(i.idempotency_key, i.method, i.path, i.body) for i in items])
        except TransportError as exc:
            self._wire_failed(items, exc)
            return len(items)
        except BatchRefused as exc:
            self.link.report_success()
            self._batch_refused(items, exc)
            return len(items)
        except ValueError:  # a body the batch envelope cannot carry (not JSON): send these singly
            self.outbox.release([i.id for i in items])
            self._batch_off_until = self._clock() + self.config.batch_off_s
            return 0
        except Exception:
            self.outbox.release([i.id for i in items])
            raise
        self.link.report_success()
        by_key: dict[str, BatchItemResult] = {r.idempotency_key: r for r in results}
        acks: list[tuple[int, int]] = []
        retries: list[tuple[int, float, str]] = []
        for item in items:
            r = by_key.get(item.idempotency_key)
            if r is None:
                retries.append((item.id, self._backoff_at(item.attempts, None), "missing from batch result"))
            elif classify(r.status) is Verdict.ACK:
                acks.append((item.id, r.status))
            else:
                self._judge(item, r.status, r.body, None)
        self.outbox.mark_acked(acks)
        self.outbox.mark_retry(retries)
        self._tell_settled()
        for item_id, _status in acks:
            emit(self._on_event, QueueEvent("acked", "info", f"queue item {item_id} delivered", item_id))
        return len(items)

    def _batch_refused(self, items: Sequence[DueItem], exc: BatchRefused) -> None:
        status = exc.response.status
        verdict = classify(status)
        ids = [i.id for i in items]
        if verdict is Verdict.AUTH:
            self.outbox.release(ids)
            self._pause(status)
        elif verdict is Verdict.RETRY:
            ra = parse_retry_after(exc.response.headers.get("retry-after"), self._clock())
            self.outbox.mark_retry([(i.id, self._backoff_at(i.attempts, ra), f"batch HTTP {status}") for i in items])
        else:  # the envelope itself was refused (404/405: no batch endpoint) — never dead-letter items for it
            self.outbox.release(ids)
            if status in (404, 405, 501):
                self._batch_unsupported = True
            self._batch_off_until = self._clock() + self.config.batch_off_s
            emit(
                self._on_event,
                QueueEvent(
                    "batch_refused",
                    "warning",
                    f"central refused /v1/batch with HTTP {status}; sending singly",
                ),
            )
        self._tell_settled()

    # ---- judging ------------------------------------------------------------------------------------
    def _judge(self, item: DueItem, status: int, body: bytes, retry_after: str | None) -> None:
        verdict = classify(status)
        if verdict is Verdict.ACK:
            self.outbox.mark_acked([(item.id, status)])
            if self._paused:
                self.resume()
            emit(self._on_event, QueueEvent("acked", "info", f"queue item {item.id} delivered", item.id))
        elif verdict is Verdict.DEAD:
            refused = refusal(status, body)
            self.outbox.mark_dead(item.id, status, refused.text(), error_code=refused.code or f"http_{status}",
                                  reasons=refused.reasons)
            emit(
                self._on_event,
                QueueEvent("dead_letter", "warning", f"queue item {item.id} rejected: HTTP {status}", item.id),
            )
        elif verdict is Verdict.AUTH:
            self.outbox.release([item.id])
            self._pause(status)
        else:
            ra = parse_retry_after(retry_after, self._clock())
            self.outbox.mark_retry([(item.id, self._backoff_at(item.attempts, ra), f"HTTP {status}")])

    def _pause(self, status: int) -> None:
        self._paused_until = self._clock() + (self.config.auth_retry_s or 0.0)
        first = not self._paused
        self._paused = True
        if first:
            emit(
                self._on_event,
                QueueEvent(
                    "auth_failed",
                    "critical",
                    f"central answered HTTP {status}: certificate or credentials problem; queue sending paused",
                ),
            )

    def _wire_failed(self, items: Sequence[DueItem], exc: TransportError) -> None:
        self.link.report_failure()
        self.outbox.mark_retry([(i.id, self._backoff_at(i.attempts, None), f"transport {exc.kind}") for i in items])
        self._tell_settled()
        # Hold everything back a little too: with the link down every other item would fail the same way.
        failures = max(1, self.link.consecutive_failures)
        self._hold_until = self._clock() + self._jitter(failures)

    def _jitter(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * (2 ** min(attempt - 1, 30)))
        return self._rng.uniform(0.0, ceiling)  # "full jitter"

    def _backoff_at(self, attempts: int, retry_after: float | None) -> float:
        delay = self._jitter(max(1, attempts))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.retry_after_cap_s))
        return self._clock() + delay


__all__ = ["Forwarder", "ForwarderConfig", "OfflineQueueError"]
