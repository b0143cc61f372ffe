"""The service catalogue and the offline policy of central-api.md, as one table.

Everything that asks "may this run now?" (attract screen, flows, maintenance) reads it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceId(StrEnum):
    APPLY = "apply"  # 申领 + 即时制卡
    REPLACE = "replace"  # 补换卡
    LOSS_REPORT = "loss_report"  # 挂失
    LOSS_CANCEL = "loss_cancel"  # 解挂
    ACTIVATE = "activate"  # 启用
    PIN_CHANGE = "pin_change"  # 修改密码
    PIN_RESET = "pin_reset"  # 重置密码
    CONTACT_CHANGE = "contact_change"  # 信息变更
    PROGRESS_QUERY = "progress_query"  # 进度查询
    ECARD_SIGN_IN = "ecard_sign_in"  # 电子社保卡扫码登录, then one of ECARD_SERVICES
    COUNTER_GUIDANCE = "counter_guidance"  # 柜台办理指引: 注销/停用 (art. 35), 代办 (art. 51) — what to bring
    PROXY = "proxy"  # 代办: an adult for someone who cannot come, non-financial services only (art. 51)


class Offline(StrEnum):
    """What a service may do without the central link."""

    NO = "no"
    QUEUED = "queued"  # accepted, delivered later through the offline queue
    ACCEPT_FOR_LATER = "accept_for_later"  # apply/replace: no instant issue; pickup/courier if configured
    LOCAL = "local"  # needs no central at all (guidance)


class Device(StrEnum):
    ID_READER = "id_reader"
    CARD_READER = "card_reader"
    ISSUER = "issuer"
    ENCODER = "encoder"
    CAMERA = "camera"
    PIN_PAD = "pin_pad"
    RECEIPT_PRINTER = "receipt_printer"
    SCANNER = "scanner"  # QR codes (e-card sign-in)
    DOCUMENT_CAMERA = "document_camera"  # 高拍仪


@dataclass(frozen=True)
class Service:
    id: ServiceId
    offline: Offline
    devices: frozenset[Device]  # needed for the service to start at all
    queue_priority: int  # lower is delivered first; loss reports go first (background requests: their
    # own priority in kiosk.central.requests)
    articles: tuple[int, ...]  # regulation articles the flow implements
    informational: bool = False  # changes nothing: alone it does not keep the kiosk in service
    # Without the link a new mobile cannot be confirmed by SMS (art. 16): True lets the service queue it
    # marked unverified (the receipt says so); False refuses the change until the link is back.
    unverified_mobile_offline: bool = False
    # Apply/replace: offline the application itself is only accepted for later (if configured), and the
    # register keeps the mobile it carries, so it goes in unverified and the central flags it for a
    # later SMS confirmation (central-api.md offline policy; docs/central-api-additions.md, applysms).


_D = Device
SERVICES: dict[ServiceId, Service] = {
    s.id: s
    for s in (
        Service(ServiceId.APPLY, Offline.ACCEPT_FOR_LATER,
                frozenset({_D.ID_READER, _D.CAMERA, _D.ISSUER, _D.ENCODER, _D.PIN_PAD, _D.RECEIPT_PRINTER}),
                50, (3, 15, 16, 21, 24), unverified_mobile_offline=True),
        Service(ServiceId.REPLACE, Offline.ACCEPT_FOR_LATER,
                frozenset({_D.ID_READER, _D.CAMERA, _D.ISSUER, _D.ENCODER, _D.PIN_PAD, _D.RECEIPT_PRINTER}),
                40, (29, 33), unverified_mobile_offline=True),
        Service(ServiceId.LOSS_REPORT, Offline.QUEUED, frozenset({_D.ID_READER, _D.RECEIPT_PRINTER}), 0, (33,)),
        Service(ServiceId.LOSS_CANCEL, Offline.NO,
                frozenset({_D.ID_READER, _D.CARD_READER, _D.RECEIPT_PRINTER}), 20, (34,)),
        Service(ServiceId.ACTIVATE, Offline.QUEUED, frozenset({_D.ID_READER, _D.CARD_READER}), 30, (31,)),
        Service(ServiceId.PIN_CHANGE, Offline.QUEUED, frozenset({_D.CARD_READER, _D.PIN_PAD}), 30, (32,)),
        Service(ServiceId.PIN_RESET, Offline.NO,
                frozenset({_D.ID_READER, _D.CARD_READER, _D.CAMERA, _D.PIN_PAD}), 30, (32,)),
        Service(ServiceId.CONTACT_CHANGE, Offline.QUEUED, frozenset({_D.ID_READER}), 30, (16, 30),
                unverified_mobile_offline=True),
        Service(ServiceId.PROGRESS_QUERY, Offline.NO, frozenset({_D.ID_READER}), 90, ()),
        Service(ServiceId.ECARD_SIGN_IN, Offline.NO, frozenset({_D.SCANNER}), 90, ()),  # the central spends the code
        Service(ServiceId.COUNTER_GUIDANCE, Offline.LOCAL, frozenset(), 90, (35, 51), informational=True),
        Service(ServiceId.PROXY, Offline.QUEUED, frozenset({_D.ID_READER, _D.DOCUMENT_CAMERA}), 30, (51,)),
    )
}  # fmt: skip

# The services an e-card sign-in may stand in for the ID card in: those that need no physical ID
# card. Issuance (apply, replace) and the card-security services keep the ID card.
ECARD_SERVICES: tuple[ServiceId, ...] = (ServiceId.PROGRESS_QUERY, ServiceId.CONTACT_CHANGE, ServiceId.ACTIVATE)

class Availability(StrEnum):
    AVAILABLE = "available"
    AVAILABLE_OFFLINE = "available_offline"  # runs, but its central step is queued
    NEEDS_LINK = "needs_link"
    DEVICE_DOWN = "device_down"
    NOT_BUILT = "not_built"


def availability(
    service: ServiceId,
    *,
    link_online: bool,
    usable_devices: set[Device],
    built: set[ServiceId],
    accept_offline_applications: bool = False,
) -> tuple[Availability, frozenset[Device]]:
    """Whether a service can start now; the second value names the missing devices."""
    if service not in built:
        return Availability.NOT_BUILT, frozenset()
    spec = SERVICES[service]
    missing = frozenset(spec.devices - usable_devices)
    if missing:
        return Availability.DEVICE_DOWN, missing
    if link_online or spec.offline is Offline.LOCAL:
        return Availability.AVAILABLE, frozenset()
    if spec.offline is Offline.QUEUED:
        return Availability.AVAILABLE_OFFLINE, frozenset()
    if spec.offline is Offline.ACCEPT_FOR_LATER and accept_offline_applications:
        return Availability.AVAILABLE_OFFLINE, frozenset()
    return Availability.NEEDS_LINK, frozenset()


# Art. 51: what a proxy may do for someone who cannot come: non-financial services only. Applying,
# replacing, activating (the financial account), PINs and loss reports/cancels are financial
# applications of the card (or need the holder's own card and PIN): the counter, under the bank's rules.
PROXY_SERVICES: tuple[ServiceId, ...] = (ServiceId.PROGRESS_QUERY, ServiceId.CONTACT_CHANGE)
