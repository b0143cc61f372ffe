"""Seeded citizens (seed_citizens.json) and loading them into a central database.

``citizen(key)`` resolves one fixture entry for *today*: ID number with its check character,
birth date, ID validity and card dates computed from the file's relative offsets.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from central_sim import refusals
from central_sim.clock import CST, rfc3339
from central_sim.idnumber import make_id_number
from central_sim.storage import Tx

FUZHOU = "350100"
LONG_TERM = "长期"  # ID cards of people over 46 never expire


@cache
def _fixture() -> dict[str, Any]:
    text = (Path(__file__).resolve().parent / "seed_citizens.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def keys() -> list[str]:
    return list(_fixture()["citizens"])


def city_name(code: str) -> str:
    cities: dict[str, str] = _fixture()["cities"]
    return cities.get(code, code)


def today_cst() -> dt.date:
    return dt.datetime.now(CST).date()


def _birth(entry: dict[str, Any], today: dt.date) -> dt.date:
    if "birth_date" in entry:
        return dt.date.fromisoformat(entry["birth_date"])
    age = entry["age"]
    try:
        anniversary = today.replace(year=today.year - int(age["years"]))
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - int(age["years"]), day=28)
    return anniversary - dt.timedelta(days=int(age.get("days", 0)))


def _day(entry: dict[str, Any], name: str, today: dt.date) -> str | None:
    if name in entry:
        value = entry[name]
        return None if value is None else str(value)
    if f"{name}_days" in entry:
        return (today + dt.timedelta(days=int(entry[f"{name}_days"]))).isoformat()
    return None


def _at(days: int | None, today: dt.date) -> str | None:
    if days is None:
        return None
    return rfc3339(dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10, 0), CST))


def faces_dirs() -> list[Path]:
    """Where seeded photos are looked up: $CENTRAL_SIM_FACES_DIR, the repo's tests/data/faces, the shared set."""
    dirs = [Path(p) for p in os.environ.get("CENTRAL_SIM_FACES_DIR", "").split(os.pathsep) if p]
    repo = Path(__file__).resolve().parent.parent
    return [*dirs, repo / "tests" / "data" / "faces", Path("/work/shared/data/faces")]


def photo_path(name: str | None) -> Path | None:
    if not name:
        return None
    for d in faces_dirs():
        if (d / name).is_file():
            return d / name
    return None


def citizen(key: str, today: dt.date | None = None) -> dict[str, Any]:
    """One seeded citizen as of ``today`` (CST): every field the ID card and the central records carry."""
    today = today or today_cst()
    entries: dict[str, Any] = _fixture()["citizens"]
    if key not in entries:
        raise KeyError(f"no seeded citizen {key!r}; known: {', '.join(entries)}")
    e = entries[key]
    birth = _birth(e, today)
    id_number = make_id_number(e["region"], birth, e["sequence"])
    cards = []
    for c in e.get("cards", []):
        cards.append({
            "card_no": c["card_no"], "city": c["city"], "status": c["status"],
            "issued_at": _at(c.get("issued_days"), today), "collected_at": _at(c.get("collected_days"), today),
            "bank_code": c.get("bank_code", ""), "activated": bool(c.get("activated", False)),
            "account": bool(c.get("account", False)), "loss_reported_at": _at(c.get("loss_reported_days"), today),
        })
    apps = [
        {**{k: v for k, v in a.items() if k != "created_days"}, "created_at": _at(a.get("created_days", 0), today)}
        for a in e.get("applications", [])
    ]
    photo = photo_path(e.get("photo"))
    return {
        "key": key,
        "name": e["name"],
        "sex": e["sex"],
        "ethnicity": e.get("ethnicity", "01"),
        "nationality": e.get("nationality", "CHN"),
        "birth_date": birth.isoformat(),
        "id_type": "01",  # 居民身份证
        "id_number": id_number,
        "id_valid_from": _day(e, "id_valid_from", today),
        "id_valid_until": _day(e, "id_valid_until", today),
        "insured": bool(e["insured"]),
        "medical_insurance": e["medical_insurance"],
        "insured_city": e.get("insured_city", ""),
        "transfer_pending": bool(e.get("transfer_pending", False)),
        "mobile": e.get("mobile", ""),
        "phone": e.get("phone", ""),
        "household_address": e.get("household_address", ""),
        "residence_address": e.get("residence_address", ""),
        "postal_code": e.get("postal_code", ""),
        "occupation": e.get("occupation", "其他"),
        "photo_path": str(photo) if photo else None,
        "guardian": e.get("guardian"),
        "cards": cards,
        "applications": apps,
        # requests a kiosk took and the central refused on delivery (central_sim/refusals.py)
        "refused_requests": [
            {**{k: v for k, v in r.items() if not k.endswith("_days")},
             "submitted_at": _at(r.get("submitted_days"), today), "refused_at": _at(r.get("refused_days", 0), today)}
            for r in e.get("refused_requests", [])
        ],
    }


def citizens(today: dt.date | None = None) -> dict[str, dict[str, Any]]:
    return {k: citizen(k, today) for k in keys()}


def seed_database(tx: Tx, today: dt.date | None = None) -> int:
    """Insert the seeded citizens that are missing (existing records and their history are kept)."""
    today = today or today_cst()
    now = rfc3339(dt.datetime.now(CST))
    added = 0
    for p in citizens(today).values():
        if tx.one("SELECT 1 AS x FROM persons WHERE id_number = ?", (p["id_number"],)):
            continue
        added += 1
        photo_b64 = base64.b64encode(Path(p["photo_path"]).read_bytes()).decode() if p["photo_path"] else None
        has_card = bool(p["cards"])
        tx.execute(
            "INSERT INTO persons (id_number, name, sex, ethnicity, birth_date, nationality, id_valid_from,"
            " id_valid_until, insured, medical_insurance, insured_city, transfer_pending, mobile, phone,"
            " household_address, residence_address, postal_code, photo_jpeg_b64, ssn, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (p["id_number"], p["name"], p["sex"], p["ethnicity"], p["birth_date"], p["nationality"],
             p["id_valid_from"], p["id_valid_until"], int(p["insured"]), p["medical_insurance"], p["insured_city"],
             int(p["transfer_pending"]), p["mobile"], p["phone"], p["household_address"], p["residence_address"],
             p["postal_code"], photo_b64, p["id_number"] if has_card else None, now),
        )
        for c in p["cards"]:
            if tx.one("SELECT 1 AS x FROM cards WHERE card_no = ?", (c["card_no"],)):
                continue
            tx.execute(
                "INSERT INTO cards (card_no, id_number, city, status, issued_at, bank_code, collected_at, activated,"
                " status_changed_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (c["card_no"], p["id_number"], c["city"], c["status"], c["issued_at"], c["bank_code"],
                 c["collected_at"], int(c["activated"]), c["loss_reported_at"] or c["issued_at"] or now),
            )
            if c["account"]:
                tx.execute(
                    "INSERT INTO accounts (account_no, card_no, id_number, account_class, bank_code, opened_at)"
                    " VALUES (?,?,?,?,?,?)",
                    (seed_account_no(c["card_no"]), c["card_no"], p["id_number"], "I", c["bank_code"],
                     c["issued_at"] or now),
                )
            if c["loss_reported_at"]:
                tx.execute(
                    "INSERT INTO loss_reports (card_no, reported_at, effective_at, kiosk_id) VALUES (?,?,?,?)",
                    (c["card_no"], c["loss_reported_at"], c["loss_reported_at"], "counter"),
                )
        for a in p["applications"]:
            tx.execute(
                "INSERT INTO applications (application_id, id_number, kind, reason, status, card_no,"
                " replaces_card_no, delivery, bank_code, kiosk_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (a["application_id"], p["id_number"], a["kind"], a.get("reason"), a["status"], a["card_no"],
                 a.get("replaces_card_no"), a.get("delivery", "pickup"), a.get("bank_code", "FZB"), "counter",
                 a["created_at"]),
            )
            for seq, status in enumerate(a.get("timeline", ["approved"]), 1):
                tx.execute(
                    "INSERT INTO application_timeline (application_id, seq, status, at, note) VALUES (?,?,?,?,?)",
                    (a["application_id"], seq, status, a["created_at"], "counter"),
                )
            refusals.add_reasons(tx, a["application_id"], a.get("reasons", []))  # refused after acceptance
            tx.execute("UPDATE cards SET application_id = ? WHERE card_no = ?", (a["application_id"], a["card_no"]))
        for r in p["refused_requests"]:
            refusals.store(tx, "seed", r["request_key"], p["id_number"], r["service"], submitted_at=r["submitted_at"],
                           refused_at=r["refused_at"], code=r["code"], reasons=r["reasons"])
    return added


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def seed_account_no(card_no: str) -> str:
    body = "623091" + "".join(ch if ch.isdigit() else "0" for ch in card_no).rjust(12, "0")
    return body + luhn_digit(body)
