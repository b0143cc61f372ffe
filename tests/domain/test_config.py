import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import MAX_FILE_BYTES, Config, ConfigError, load_config
from kiosk.maintenance.config_edit import flatten

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "k.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_and_shipped_files_load() -> None:
    assert load_config(None).central.heartbeat_interval_s == 30
    for name in ("demo.toml", "kiosk.example.toml"):
        cfg = load_config(ROOT / "config" / name)
        assert cfg.kiosk.id


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[central]\nurl = 5\n", "central.url"),
        ("[central]\nurl = \"ftp://x\"\n", "central.url"),
        ("[kiosk]\nlanguage = \"fr\"\n", "kiosk.language"),
        ("[kiosk]\nidd = \"x\"\n", "kiosk.idd"),
        ("[devices.camera]\ndriver = \"webcam9000\"\n", "devices.camera.driver"),
        ("[devices.id_reader]\nbaud = \"fast\"\n", "devices.id_reader.baud"),
        ("[timeouts]\nidle_s = -1\n", "timeouts.idle_s"),
        ("[photo]\nmatch_distance = 0.7\n", "photo.match_distance"),
        ("[offline]\naccept_applications_for_later = \"yes\"\n", "offline.accept_applications_for_later"),
        ("kiosk = 3\n", "kiosk"),
    ],
)
def test_wrong_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key
    assert key in str(err.value)


def test_missing_and_broken_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[kiosk\n"))


# ---- ranges, the file itself, and the loader's only exception (issue 18, item 8) ----------------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[central]\nheartbeat_interval_s = 0\n", "central.heartbeat_interval_s"),  # a heartbeat flood
        ("[central]\nread_timeout_s = nan\n", "central.read_timeout_s"),
        ("[central]\nconnect_timeout_s = -3.0\n", "central.connect_timeout_s"),
        ("[central]\nread_timeout_s = inf\n", "central.read_timeout_s"),
        ("[timeouts]\npin_entry_s = nan\n", "timeouts.pin_entry_s"),
        ("[timeouts]\nissuance_limit_s = 7200.0\n", "timeouts.issuance_limit_s"),  # art. 21: 20 minutes
        ("[timeouts]\ncard_take_s = 1" + "0" * 400 + "\n", "timeouts.card_take_s"),  # no float overflow
        ("[offline]\nmax_items = 0\n", "offline.max_items"),
        ("[offline]\nmax_age_days = -1\n", "offline.max_age_days"),
        ("[devices.pin_pad]\nbaud = 0\n", "devices.pin_pad.baud"),
        ("[devices.issuer]\nusb_vid = 70000\n", "devices.issuer.usb_vid"),
        ("[ui]\nwidth = -1920\n", "ui.width"),
        ("[voice]\nelderly_timeout_factor = nan\n", "voice.elderly_timeout_factor"),
    ],
)
def test_out_of_range_numbers_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key and key in str(err.value)


def test_every_number_in_the_configuration_has_a_range() -> None:
    """A new numeric key without a range would be refused at load (see _in_range): keep RANGES whole."""
    from kiosk.config import RANGES

    numbers = {k for k, v in flatten(Config()).items() if isinstance(v, int | float) and not isinstance(v, bool)}
    generic = {".".join([k.split(".")[0], "*", *k.split(".")[2:]]) if k.startswith("devices.") else k
               for k in numbers}
    assert generic <= set(RANGES), generic - set(RANGES)


def test_the_edges_of_each_range_load(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[central]\nheartbeat_interval_s = 0.5\n[timeouts]\nissuance_limit_s = 1200\n"))
    assert cfg.central.heartbeat_interval_s == 0.5 and cfg.timeouts.issuance_limit_s == 1200.0


def test_only_a_regular_file_of_bounded_size_is_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file") as err:
        load_config("/dev/zero")  # read whole, this never ends (or exhausts memory)
    assert err.value.key == "(file)"
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(fifo)  # opening it must not wait for a writer
    big = write(tmp_path, "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big)


def test_deeply_nested_values_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too deeply"):
        load_config(write(tmp_path, "[kiosk]\nid = " + "[" * 5000 + "]" * 5000 + "\n"))


# Hypothesis: any TOML text or bytes gives a Config or a ConfigError naming a key, nothing else.
KEYS = sorted(flatten(Config()))
_toml_scalar = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=10**300, max_value=10**400).map(str),  # beyond float's range
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf") if math.isinf(f) else repr(f)),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=30).map(lambda t: json.dumps(t, ensure_ascii=False)),
    st.sampled_from(["1979-05-27", "07:32:00", '"sim"', '"pcsc"', '"https://c.example"', '""', "{}", "[]"]),
    st.integers(min_value=500, max_value=3000).map(lambda n: "[" * n + "]" * n),  # deeper than tomllib recurses
)
_toml_value = st.recursive(_toml_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.dictionaries(st.sampled_from(["a", "driver", "port"]), inner, max_size=2).map(
        lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"),
), max_leaves=6)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for key in draw(st.lists(st.sampled_from([*KEYS, "kiosk.nope", "devices.camera", "zzz.y"]), max_size=8)):
        table, _, name = key.rpartition(".")
        lines += [f"[{table}]", f"{name} = {draw(_toml_value)}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=st.one_of(toml_documents().map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300)))
def test_any_toml_document_gives_a_config_or_a_config_error(tmp_path: Path, doc: bytes) -> None:
    path = tmp_path / "prop.toml"
    path.write_bytes(doc)
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert exc.key  # the documented error, naming a key or "(file)"
        return
    assert isinstance(cfg, Config) and cfg.source == str(path)


# ---- plain http only to loopback, the same rule as the transport (offline_queue/http_transport.py) ----
@pytest.mark.parametrize("url", ["http://10.0.0.5", "http://10.255.255.1:8480", "http://central.example.org/",
                                 "http://[2001:db8::1]:8480", "http://127.0.0.1.example.org", "http://["])
def test_plain_http_to_a_remote_host_is_refused_at_load(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, f"[central]\nurl = {json.dumps(url)}\n"))
    assert err.value.key == "central.url" and "loopback" in str(err.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8480", "http://localhost:8480", "http://[::1]:8480",
                                 "https://central.example.org", "https://10.0.0.5:8443"])
def test_plain_http_to_loopback_and_any_https_load(tmp_path: Path, url: str) -> None:
    assert load_config(write(tmp_path, f"[central]\nurl = {json.dumps(url)}\n")).central.url == url


# ---- each device's default baud: the ZT588 PIN pad talks at 9600, the others at 115200 --------------
def test_a_device_without_a_baud_line_gets_its_own_default(tmp_path: Path) -> None:
    for cfg in (load_config(None), load_config(write(tmp_path, "[kiosk]\nid = \"X\"\n"))):
        assert cfg.devices.pin_pad.baud == 9600  # no [devices.pin_pad] table at all
        assert cfg.devices.id_reader.baud == 115200 and cfg.devices.scanner.baud == 115200
    cfg = load_config(write(tmp_path, '[devices.pin_pad]\nport = "/dev/ttyS1"\n'
                                      '[devices.id_reader]\nport = "/dev/ttyS0"\n'))
    pin_pad = cfg.devices.pin_pad
    assert (pin_pad.port, pin_pad.baud, pin_pad.driver) == ("/dev/ttyS1", 9600, "zt588")
    assert cfg.devices.id_reader.baud == 115200
    cfg = load_config(write(tmp_path, "[devices.pin_pad]\nbaud = 19200\n[devices.id_reader]\nbaud = 9600\n"))
    assert cfg.devices.pin_pad.baud == 19200 and cfg.devices.id_reader.baud == 9600  # an explicit baud is kept


def test_the_document_camera_asks_for_a_readable_page_by_default(tmp_path: Path) -> None:
    # 640 px across a page is ~77 dpi: a reviewer could not read the 户口簿 or the letter
    for text in ("", '[devices.document_camera]\nsource = "2"\n'):
        doc = load_config(write(tmp_path, text)).devices.document_camera
        assert (doc.width, doc.height) == (1600, 1200)
    assert load_config(None).devices.camera.width == 640  # the face camera keeps its own


def test_the_example_file_shows_the_defaults() -> None:
    """config/kiosk.example.toml claims "the value shown is the default": hold it to that."""
    defaults, example = flatten(load_config(None)), flatten(load_config(ROOT / "config" / "kiosk.example.toml"))
    assert {k: (v, example.get(k)) for k, v in defaults.items() if example.get(k) != v} == {}
