"""hal/atomic_file.py: the one whole-file writer. It fsyncs the new file before the rename and the
directory after it, a kill at any moment leaves the old or the new file, and nothing else in the
product writes or renames files by hand."""

from __future__ import annotations

import ast
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hal.atomic_file import copy_atomic, replace_path, write_atomic, write_stream

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("kiosk", "hal", "offline_queue", "central_sim", "screens")


def test_the_file_is_fsynced_before_the_rename_and_the_directory_after(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    synced: list[tuple[int, bool, bytes | None]] = []  # (inode, is a directory, target's content then)
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:  # the real fsync, noting which inode it made durable
        st = os.fstat(fd)
        synced.append((st.st_ino, stat.S_ISDIR(st.st_mode), target.read_bytes()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    write_atomic(target, b"new")
    new_inode, dir_inode = target.stat().st_ino, tmp_path.stat().st_ino
    assert target.read_bytes() == b"new"
    assert (new_inode, False, b"old") in synced  # the new file's data, while the old one is still in place
    assert synced[-1] == (dir_inode, True, b"new")  # then the directory, once the rename is done
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left


def test_mode_check_and_exclusive(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    write_atomic(target, "a = 1\n", mode=0o640)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def refuse(path: Path) -> None:
        assert path.read_text() == "a = \n"  # the check sees the complete new file
        raise ValueError("bad config")

    with pytest.raises(ValueError):
        write_atomic(target, "a = \n", check=refuse)
    assert target.read_text() == "a = 1\n" and len(list(tmp_path.iterdir())) == 1
    with pytest.raises(FileExistsError):
        write_atomic(target, "other", exclusive=True)
    assert target.read_text() == "a = 1\n" and len(list(tmp_path.iterdir())) == 1
    write_atomic(tmp_path / "key", "k", exclusive=True)
    assert (tmp_path / "key").read_text() == "k" and stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600


def _recording_fsync(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Wrap os.fsync (still calling the real one) and note (inode, is a directory) of each call."""
    synced: list[tuple[int, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        st = os.fstat(fd)
        synced.append((st.st_ino, stat.S_ISDIR(st.st_mode)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return synced


def test_replace_path_fsyncs_both_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src_dir, dst_dir = tmp_path / "staging", tmp_path / "releases"
    src_dir.mkdir()
    dst_dir.mkdir()
    (src_dir / "1.2.0").mkdir()  # a release directory, as releases.install renames one into place
    (dst_dir / "current.new").symlink_to("1.2.0")
    (dst_dir / "current").symlink_to("1.1.0")
    synced = _recording_fsync(monkeypatch)
    replace_path(src_dir / "1.2.0", dst_dir / "1.2.0")
    assert (dst_dir / "1.2.0").is_dir() and not (src_dir / "1.2.0").exists()
    assert synced == [(dst_dir.stat().st_ino, True), (src_dir.stat().st_ino, True)]
    synced.clear()
    replace_path(dst_dir / "current.new", dst_dir / "current")  # a symlink swapped over the old one
    assert os.readlink(dst_dir / "current") == "1.2.0" and not (dst_dir / "current.new").is_symlink()
    assert synced == [(dst_dir.stat().st_ino, True)]  # one directory: fsynced once


def test_write_stream_and_copy_fsync_the_file_then_the_directory(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "kiosk-1.2.0.tar.gz"
    target.write_bytes(b"old")
    synced = _recording_fsync(monkeypatch)
    write_stream(target, lambda f: [f.write(b"part %d;" % i) for i in range(3)], mode=0o644)
    assert target.read_bytes() == b"part 0;part 1;part 2;" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert synced == [(target.stat().st_ino, False), (tmp_path.stat().st_ino, True)]

    def broken(f: object) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_stream(target, broken)
    assert target.read_bytes() == b"part 0;part 1;part 2;" and len(list(tmp_path.iterdir())) == 1

    synced.clear()
    out = tmp_path / "sub" / "root.json"
    out.parent.mkdir()
    copy_atomic(target, out, mode=0o644)
    assert out.read_bytes() == target.read_bytes() and stat.S_IMODE(out.stat().st_mode) == 0o644
    assert synced == [(out.stat().st_ino, False), (out.parent.stat().st_ino, True)]


WRITER = """
import sys
from hal.atomic_file import copy_atomic, replace_path, write_atomic, write_stream
path, n = sys.argv[1], 0
while True:
    n += 1
    mark = f"{n:08d}".encode()
    write_atomic(path, mark + bytes([n % 251]) * 2_000_000 + mark)
    sys.stdout.write("."); sys.stdout.flush()
"""


def test_a_writer_killed_at_any_moment_leaves_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    for delay in (0.05, 0.13, 0.21, 0.34):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, cwd=ROOT)
        assert child.stdout is not None
        child.stdout.read(1)  # at least one version is complete
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        data = target.read_bytes()
        assert len(data) == 2_000_016 and data[:8] == data[-8:], delay
        n = int(data[:8])
        assert data[8:-8] == bytes([n % 251]) * 2_000_000


def _is_const(node: ast.AST, pred: object) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and callable(pred) and bool(pred(node.value))


def _hand_written_writes(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("O_TRUNC", "O_EXCL"):
            found.append(f"{path}:{node.lineno} os.{node.attr}")
        if not isinstance(node, ast.Call):
            continue
        f, where = node.func, f"{path}:{node.lineno}"
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        if (owner, name) in {("os", "replace"), ("os", "rename"), ("os", "renames"), ("shutil", "move"),
                             ("shutil", "copyfile"), ("shutil", "copy"), ("shutil", "copy2")}:
            found.append(f"{where} {owner}.{name}")
        elif name in ("write_text", "write_bytes"):
            found.append(f"{where} .{name} (in place, no fsync)")
        elif name in ("replace", "rename") and isinstance(f, ast.Attribute) and len(node.args) == 1 \
                and not node.keywords and owner != "dataclasses":  # Path.replace/rename (str's takes two)
            found.append(f"{where} .{name}")
        elif name == "open" and owner not in ("os", "wave") \
                and not any(k.arg == "fileobj" for k in node.keywords):  # into write_stream's stream
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if isinstance(f, ast.Attribute) and not node.args[1:] and node.args:
                mode = node.args[0]  # Path.open(mode)
            if mode is not None and _is_const(mode, lambda m: m[:1] in "wx"):
                found.append(f"{where} open(mode={mode.value!r})")  # type: ignore[attr-defined]
    return found


def test_every_whole_file_write_goes_through_the_helper() -> None:
    offenders = [hit for pkg in PRODUCT for p in sorted((ROOT / pkg).rglob("*.py"))
                 if p != ROOT / "hal" / "atomic_file.py" for hit in _hand_written_writes(p)]
    assert offenders == []


def test_the_scan_sees_the_hand_written_kinds(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os, shutil\nos.replace(a, b)\np.write_text('x')\ntmp.replace(dst)\n"
                      "open(p, 'w')\nq.open('wb')\nos.open(p, os.O_WRONLY | os.O_TRUNC)\nshutil.move(a, b)\n"
                      "s.replace('a', 'b')\ndataclasses.replace(c, x=1)\ndataclasses.replace(c)\nopen(p, 'a')\n"
                      "tarfile.open(p, 'w:gz')\ntarfile.open(p, 'w:gz', fileobj=stream)\n"
                      "replace_path(a, b)\nwrite_stream(p, pack)\ncopy_atomic(a, b)\n")
    assert len(_hand_written_writes(sample)) == 8  # the helpers and a tar written into their stream pass
