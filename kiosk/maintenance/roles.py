"""The three permission levels of regulation art. 37 and the one table that says who may do what.

Every maintenance action calls ``require`` with its ``Perm`` before it does anything; no other
module decides a permission.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OUTLET_STAFF = "outlet_staff"  # 银行服务网点人员
    BANK_ADMIN = "bank_admin"  # 合作银行分（总）行管理员
    DATA_CENTRE_ADMIN = "data_centre_admin"  # 市信息数据中心 (管理)


ROLE_LABELS: dict[Role, str] = {
    Role.OUTLET_STAFF: "网点人员 outlet staff",
    Role.BANK_ADMIN: "银行管理员 bank branch administrator",
    Role.DATA_CENTRE_ADMIN: "数据中心管理员 city data centre administrator",
}


class Perm(StrEnum):
    VIEW_DEVICES = "view_devices"
    SELF_TEST = "self_test"
    CONSUMABLES = "consumables"
    LEDGER_VIEW = "ledger_view"
    LEDGER_EXPORT = "ledger_export"
    QUEUE_VIEW = "queue_view"
    QUEUE_RETRY = "queue_retry"
    QUEUE_FLUSH = "queue_flush"
    QUEUE_EXPORT = "queue_export"
    LOGS_VIEW = "logs_view"
    CONFIG_VIEW = "config_view"
    CONFIG_EDIT = "config_edit"
    OUT_OF_SERVICE = "out_of_service"
    RESTART = "restart"
    SIMULATOR = "simulator"
    AUDIT_VERIFY = "audit_verify"
    TECHNICIANS = "technicians"


_ALL = frozenset(Role)
_ADMINS = frozenset({Role.BANK_ADMIN, Role.DATA_CENTRE_ADMIN})

# The permission table (art. 37: outlet staff operate the kiosk day to day; the bank branch
# administrators and the city data centre manage it). Keep every permission decision here.
PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.VIEW_DEVICES: _ALL,
    Perm.SELF_TEST: _ALL,
    Perm.CONSUMABLES: _ALL,
    Perm.LEDGER_VIEW: _ALL,
    Perm.LEDGER_EXPORT: _ALL,
    Perm.QUEUE_VIEW: _ALL,
    Perm.QUEUE_RETRY: _ADMINS,
    Perm.QUEUE_FLUSH: _ALL,
    Perm.QUEUE_EXPORT: _ADMINS,
    Perm.LOGS_VIEW: _ALL,
    Perm.CONFIG_VIEW: _ALL,
    Perm.CONFIG_EDIT: _ADMINS,
    Perm.OUT_OF_SERVICE: _ALL,
    Perm.RESTART: _ALL,
    Perm.SIMULATOR: _ALL,  # and simulator mode only (checked by the service)
    Perm.AUDIT_VERIFY: _ADMINS,
    Perm.TECHNICIANS: frozenset({Role.DATA_CENTRE_ADMIN}),
}


class PermissionDenied(Exception):
    def __init__(self, role: Role, perm: Perm) -> None:
        super().__init__(f"权限不足 not permitted: {role.value} may not {perm.value}")
        self.role = role
        self.perm = perm


def allowed(role: Role, perm: Perm) -> bool:
    return role in PERMISSIONS[perm]


def require(role: Role, perm: Perm) -> None:
    if not allowed(role, perm):
        raise PermissionDenied(role, perm)
