"""The child-without-ID-card path on the touchscreen, headless (issue 21 §3): every tap a guardian
makes, the X key of the child's number included, through to the delivery-after-review consent; the
central has the application pending review and the 户口簿 page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.test_ui import GROUPS, ok, run_group

pytestmark = pytest.mark.ui


def test_a_guardian_applies_for_a_child_without_an_id_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(GROUPS, "child_without_id", ("child_without_id", "1280x800"))
    report = run_group("child_without_id", str(tmp_path))
    result = ok(report, "child_without_id")
    assert result["typed_ok"], result
    assert result["end"] == "done" and result["message"] == "prompt.deliver_later_done", result
    assert result["delivery"] == "pickup" and result["review"] == 1 and result["documents"] == 1, result
    assert "take_card" not in result["screens"]
