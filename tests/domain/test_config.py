from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config

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
