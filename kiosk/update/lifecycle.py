"""The release lifecycle on the kiosk: apply (switch to pending), boot counting, good or rolled back.

Every step is journaled in the state file before or after the one rename that makes it real,
so a SIGKILL or power cut at any point leaves ``current`` on a whole release, and running the
same command again (or the next boot) finishes or undoes the step:

  apply:  install releases/<new>  →  state.pending = new  →  rename current → new  →  restart
  boot:   (before each start) pending and started more than max_boots times → roll back
  good:   the pending release passed its health check → state.good = new, pending cleared
  rollback: current → state.good, the release is remembered as failed, the result reported
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

from kiosk.update import releases
from kiosk.update.settings import UpdateSettings
from kiosk.update.state import UpdateState, read_state, write_state

log = logging.getLogger("kiosk.update")
CRASH_ENV = "KIOSK_UPDATE_CRASH_AT"  # fault injection for the kill-at-every-step test only


def crash_point(step: str) -> None:
    """SIGKILL this process at ``step`` when the test harness asks for it (a real, uncatchable kill)."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class QueueCheck:
    """Queued transactions must survive the switch and a rollback (offline_queue/migrations.py).

    A release that cannot read the outbox's schema is refused. A release that raises the schema
    is switched to only with the outbox drained: its migration is one-way, so if it rolls back,
    the older release would find a newer schema (and refuse it) while items were still inside.
    """

    def __init__(self, db: Path, undelivered: Callable[[], int]) -> None:
        self.db = db
        self.undelivered = undelivered

    def check_release(self, release_schema: int) -> None:
        from kiosk.update.health import queue_schema

        found = queue_schema(self.db)
        if release_schema and found > release_schema:
            raise releases.ReleaseError(f"the release reads queue schema {release_schema}; this kiosk's is {found}")
        if release_schema > found > 0 and self.undelivered() > 0:
            raise releases.ReleaseError("the release migrates the queue: wait until the outbox is delivered")


APPLY_STEPS = ("unpacked", "installed", "journaled", "link_created", "switched")


class Lifecycle:
    def __init__(self, settings: UpdateSettings) -> None:
        self.s = settings
        self.root = settings.root

    def state(self) -> UpdateState:
        return read_state(self.s.state_file)

    def _save(self, st: UpdateState) -> None:
        write_state(self.s.state_file, st)

    def reconcile(self) -> UpdateState:
        """Make the state file agree with ``current`` after an interrupted apply or rollback."""
        st = self.state()
        cur = releases.current_version(self.root)
        (self.root / ".current.new").unlink(missing_ok=True)
        if not st.good and cur and not st.pending:
            st.good = cur  # first run: the release installed by hand is the good one
            self._save(st)
        elif st.pending and cur != st.pending:
            # Killed after the journal, before the link moved: the old release still runs.
            log.warning("update to %s was interrupted before the switch; staying on %s", st.pending, cur)
            st.result(f"interrupted {st.pending}: switch did not happen")
            st.pending, st.boots = "", 0
            self._save(st)
        return st

    def apply(self, archive: Path, version: str, *, gate: Callable[[], None] = lambda: None,
              restart: Callable[[], None] = lambda: None, queue: QueueCheck | None = None) -> UpdateState:
        """Install and switch to ``version``. ``gate`` blocks until the kiosk may switch (raises if not)."""
        st = self.reconcile()
        cur = releases.current_version(self.root)
        if version == cur:
            return st  # already switched (e.g. a rerun after a kill just after the switch)
        if st.pending:
            raise releases.ReleaseError(f"release {st.pending} is still pending; wait for its health check")
        if version in st.failed:
            raise releases.ReleaseError(f"release {version} failed here before; publish a new version")
        if queue is not None:
            queue.check_release(int(releases.read_manifest(archive).get("queue_schema", 0)))
        releases.install(self.root, archive, version, crash_point=crash_point)
        crash_point("installed")
        gate()
        if queue is not None:
            queue.check_release(int(releases.read_manifest(archive).get("queue_schema", 0)))  # again, now idle
        st.pending, st.boots = version, 0
        if cur:
            st.good = cur
        st.result(f"switching {cur or '-'} -> {version}")
        self._save(st)
        crash_point("journaled")
        releases.switch(self.root, version, crash_point=crash_point)
        crash_point("switched")
        restart()
        return st

    def adopt(self, version: str, venv: Path) -> UpdateState:
        """Make the package-installed venv the first release (``current`` → it), without copying it.

        ``version`` "" takes the version installed in ``venv``. Run by the package's postinst on
        first install; idempotent, and it never moves an existing ``current``.
        """
        version = version or releases.installed_version(venv)
        releases.adopt(self.root, version, venv)
        if not releases.current_version(self.root):
            releases.switch(self.root, version)
        return self.reconcile()

    def boot(self) -> UpdateState:
        """Before each start of the UI (ExecStartPre): count starts of a pending release; roll back a loop."""
        st = self.reconcile()
        if not st.pending:
            return st
        st.boots += 1
        self._save(st)
        if st.boots > self.s.max_boots:
            return self.rollback(f"crash_loop ({st.boots - 1} starts without passing the health check)")
        return st

    def mark_good(self) -> UpdateState:
        st = self.reconcile()
        if not st.pending:
            return st
        version = st.pending
        st.good, st.pending, st.boots = version, "", 0
        st.result(f"ok {version}")
        self._save(st)
        return st

    def record_failure(self, version: str, code: str) -> None:
        """An update that failed before the switch (refused metadata, no space, …): nothing changed."""
        st = self.state()
        st.result(f"failed {version}: {code}")
        try:
            self._save(st)
        except OSError:  # run without write access (a technician's check): stderr already says it
            log.warning("update failure not recorded", extra={"code": code})

    def record_deferred(self, version: str, code: str) -> None:
        """An update that will be tried again (busy kiosk, no link): not a verdict on the release."""
        st = self.state()
        st.result(f"deferred {version}: {code}")
        try:
            self._save(st)
        except OSError:
            log.warning("deferral not recorded", extra={"code": code})

    def rollback(self, reason: str) -> UpdateState:
        """Back to the last good release (also by hand: ``kiosk update rollback``)."""
        st = self.state()
        bad = st.pending or releases.current_version(self.root)
        if not st.good or st.good == bad:
            raise releases.ReleaseError("no earlier good release to roll back to")
        releases.switch(self.root, st.good)
        if bad and bad not in st.failed:
            st.failed.append(bad)
        st.pending, st.boots = "", 0
        st.result(f"rolled_back {bad}: {reason}")
        self._save(st)
        log.error("update rolled back", extra={"release": bad, "reason": reason})
        return st
