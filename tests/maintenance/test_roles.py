"""The art. 37 permission table: one entry per action, administrators only where it matters."""

from __future__ import annotations

import pytest

from kiosk.maintenance.roles import PERMISSIONS, Perm, PermissionDenied, Role, allowed, require


def test_every_action_has_exactly_one_entry_and_some_role() -> None:
    assert set(PERMISSIONS) == set(Perm)
    assert all(PERMISSIONS[p] for p in Perm)


@pytest.mark.parametrize("perm", [Perm.CONFIG_EDIT, Perm.QUEUE_RETRY, Perm.QUEUE_EXPORT, Perm.AUDIT_VERIFY])
def test_administrator_actions(perm: Perm) -> None:
    assert not allowed(Role.OUTLET_STAFF, perm)
    assert allowed(Role.BANK_ADMIN, perm) and allowed(Role.DATA_CENTRE_ADMIN, perm)
    with pytest.raises(PermissionDenied):
        require(Role.OUTLET_STAFF, perm)


def test_only_the_data_centre_manages_technicians_and_staff_do_daily_work() -> None:
    assert [r for r in Role if allowed(r, Perm.TECHNICIANS)] == [Role.DATA_CENTRE_ADMIN]
    for perm in (Perm.VIEW_DEVICES, Perm.SELF_TEST, Perm.CONSUMABLES, Perm.OUT_OF_SERVICE, Perm.LOGS_VIEW):
        assert allowed(Role.OUTLET_STAFF, perm)
