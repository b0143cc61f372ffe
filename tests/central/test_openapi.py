"""The published contract (issue 18, item 5): docs/openapi.json is generated from the models the
central validates with and is up to date; the kiosk's response models read only fields the contract
promises; and schemathesis fuzzes the real central_sim (a live loopback server) against it — no
server error, every response (the error envelope included) conforms to the schema.

The bounded run here keeps to well under a minute; ``make fuzz`` runs the same test with
FUZZ_EXAMPLES raised (and more operations' examples) for a longer search.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central_sim import openapi
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central import models as kiosk_models

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ_KIOSK = "FZ-FUZZ-0001"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_committed_document_is_generated_from_the_models() -> None:
    assert DOC.read_text(encoding="utf-8") == openapi.render(), \
        "docs/openapi.json is stale: run `python -m central_sim.openapi > docs/openapi.json`"


def _kiosk_response_models() -> list[type[BaseModel]]:
    return [m for _, m in inspect.getmembers(kiosk_models, inspect.isclass)
            if issubclass(m, BaseModel) and m.__module__ == kiosk_models.__name__ and not m.__name__.startswith("_")]


@pytest.mark.parametrize("model", _kiosk_response_models(), ids=lambda m: m.__name__)
def test_each_kiosk_response_model_reads_only_what_the_contract_promises(model: type[BaseModel]) -> None:
    """Fields ⊆ the schema's; a field the kiosk requires must be one the schema requires too."""
    schemas = json.loads(DOC.read_text(encoding="utf-8"))["components"]["schemas"]
    assert model.__name__ in schemas, f"no {model.__name__} in the contract's schemas"
    schema = schemas[model.__name__]
    properties, required = set(schema.get("properties", {})), set(schema.get("required", []))
    fields = set(model.model_fields)
    assert fields <= properties, f"{model.__name__} reads fields the contract lacks: {sorted(fields - properties)}"
    must = {name for name, f in model.model_fields.items() if f.is_required()}
    assert must <= required, f"{model.__name__} requires fields the central may omit: {sorted(must - required)}"


def test_the_kiosk_models_are_checked_at_all() -> None:
    names = {m.__name__ for m in _kiosk_response_models()}
    assert {"PersonLookup", "HeartbeatReply", "ErrorBody", "BatchReply", "LossReport"} <= names


schema = schemathesis.openapi.from_path(str(DOC))


@pytest.fixture(scope="module")
def live_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path_factory.mktemp("fuzz") / "central.sqlite"))
    yield handle
    handle.stop()


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=FUZZ_EXAMPLES <= 12,
          suppress_health_check=list(HealthCheck))
def test_fuzz_the_live_central_against_the_contract(case: Any, live_central: ServerHandle) -> None:
    # Act as one kiosk, so requests get past identity into validation and the handlers.
    if case.path_parameters and "kiosk_id" in case.path_parameters:
        case.path_parameters["kiosk_id"] = FUZZ_KIOSK
    headers = dict(case.headers or {})
    if case.path != "/v1/health":
        headers["X-Kiosk-Id"] = FUZZ_KIOSK
    case.headers = headers
    case.call_and_validate(base_url=live_central.url, checks=CHECKS, timeout=30)
