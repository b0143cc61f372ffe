"""Two distributions: the kiosk's wheel carries the product only; the development one
(central_sim/pyproject.toml) brings the reference central and the emulators, which the kiosk
reaches through the entry points of kiosk/dev_central.py, never by importing them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from central_sim.release.repository import ReleaseRepository
from kiosk import dev_central
from kiosk.cli import main as kiosk_main

ROOT = Path(__file__).resolve().parents[2]


def build_deb_module() -> ModuleType:
    # packaging/ is not a package (the name is PyPI's `packaging`, which build_deb itself imports)
    spec = importlib.util.spec_from_file_location("build_deb", ROOT / "packaging/build_deb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet repository's root, as `kiosk-release export-root` writes it."""
    tmp = tmp_path_factory.mktemp("fleet-repo")
    repo = ReleaseRepository(tmp / "repo")
    repo.init(root_keys=3, root_threshold=2)
    repo.export_root(tmp / "root.json")
    return tmp / "root.json"


@pytest.fixture(scope="module")
def kiosk_wheel(tmp_path_factory: pytest.TempPathFactory, fleet_root: Path) -> Path:
    bd = build_deb_module()
    whl: Path = bd.build_project_wheel(tmp_path_factory.mktemp("wheel"), bd.check_trusted_root(fleet_root))
    return whl


def test_the_wheel_ships_the_root_given_at_build_time(kiosk_wheel: Path, fleet_root: Path) -> None:
    with zipfile.ZipFile(kiosk_wheel) as z:
        assert z.read("kiosk/update/trusted_root.json") == fleet_root.read_bytes()


def test_build_deb_refuses_a_root_that_does_not_sign_itself(fleet_root: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    bd = build_deb_module()
    edited = json.loads(fleet_root.read_text())
    edited["signed"]["roles"]["targets"]["threshold"] += 1  # a change the root keys never signed
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    with pytest.raises(SystemExit, match="not signed to its own threshold"):
        bd.check_trusted_root(tmp_path / "edited.json")
    timestamp = fleet_root.parent / "repo/metadata/timestamp.json"
    with pytest.raises(SystemExit, match="a timestamp metadata file, not root"):
        bd.check_trusted_root(timestamp)
    with pytest.raises(SystemExit) as refused:
        bd.main(["--out", str(tmp_path)])  # no root, no dev repository: no package
    assert refused.value.code == 2 and "--trusted-root" in capsys.readouterr().err


@pytest.fixture(scope="module")
def kiosk_wheel_only(kiosk_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kiosk wheel unpacked on its own: what an appliance has (no development distribution)."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(kiosk_wheel) as z:
        z.extractall(site)
    return site


def test_kiosk_wheel_holds_the_product_and_nothing_of_the_development_side(kiosk_wheel: Path) -> None:
    with zipfile.ZipFile(kiosk_wheel) as z:
        tops = {n.split("/")[0] for n in z.namelist()}
        names = set(z.namelist())
    assert {"kiosk", "hal", "screens", "offline_queue"} <= tops
    assert "central_sim" not in tops
    assert not [n for n in names if n.startswith("hal/emulators/")]
    assert {"kiosk/dev_central.py", "hal/sscard/apdu.py", "hal/sim/card_reader.py"} <= names


def test_build_deb_refuses_a_wheel_carrying_the_central(tmp_path: Path) -> None:
    whl = tmp_path / "sscard_kiosk-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("kiosk/__init__.py", "")
        z.writestr("central_sim/server.py", "")
    with pytest.raises(SystemExit, match="central_sim/"):
        build_deb_module().check_product_only(whl)


def test_without_the_development_distribution_the_plug_in_point_says_so(kiosk_wheel_only: Path) -> None:
    # -S: no site-packages, so only the unpacked kiosk wheel is visible (as on an appliance)
    probe = ("import json\nfrom kiosk import dev_central\n"
             "try:\n    dev_central.seed_citizen('adult_never_applied')\n"
             "except dev_central.DevCentralMissing as exc:\n    print(json.dumps(str(exc)))\n")
    out = subprocess.run([sys.executable, "-S", "-c", probe], cwd=kiosk_wheel_only, capture_output=True,
                         text=True, timeout=60, check=True, env={"PYTHONPATH": str(kiosk_wheel_only)})
    message = json.loads(out.stdout)
    assert "参考中心服务未安装" in message
    assert "the reference central is not installed" in message
    assert dev_central.GROUP in message


def test_the_development_distribution_offers_every_entry_point_the_kiosk_loads() -> None:
    from importlib.metadata import entry_points

    offered = {ep.name: ep.dist.name if ep.dist else None for ep in entry_points(group=dev_central.GROUP)}
    assert offered == {"serve_in_thread": "sscard-kiosk-dev", "cli": "sscard-kiosk-dev",
                       "seed_citizen": "sscard-kiosk-dev"}


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[dev_central.RunningCentral]:
    central = dev_central.serve_in_thread(str(tmp_path / "central.sqlite"), host="127.0.0.1", port=0)
    try:
        yield central
    finally:
        central.stop()


def test_embedded_central_serves_through_the_plug_in_point(embedded: dev_central.RunningCentral) -> None:
    health = httpx.get(f"{embedded.url}/v1/health", timeout=10)
    assert health.status_code == 200


def test_seeded_citizen_comes_through_the_plug_in_point() -> None:
    person = dev_central.seed_citizen("adult_never_applied")
    assert len(person["id_number"]) == 18


def test_kiosk_central_sim_command_runs_the_central_cli(tmp_path: Path) -> None:
    assert kiosk_main(["central-sim", "--make-pki", str(tmp_path / "pki"), "--kiosk-id", "FZ-TEST-0001"]) == 0
    made = {p.name for p in (tmp_path / "pki").iterdir()}
    assert {"ca.crt", "server.crt", "kiosk-FZ-TEST-0001.crt", "kiosk-FZ-TEST-0001.key"} <= made


def test_the_dev_build_makes_its_repository_once_and_ships_its_root(tmp_path: Path) -> None:
    """`make deb` (--dev-repo): kiosk-release makes the repository on first use; later builds reuse it,
    so kiosks built from one checkout keep trusting the same development root."""
    bd = build_deb_module()
    first = bd.dev_trusted_root(tmp_path / "dev-repo").read_bytes()
    assert (tmp_path / "dev-repo/keys").is_dir()  # the keys stay with the repository, never in the package
    assert bd.dev_trusted_root(tmp_path / "dev-repo").read_bytes() == first
    assert bd.check_trusted_root(tmp_path / "dev-repo/trusted_root.json") == first
