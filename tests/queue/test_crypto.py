from __future__ import annotations

import os
from pathlib import Path

import pytest

from offline_queue import BodyCipher, KeyFileError, create_key_file, load_key_file
from offline_queue.crypto import AD_V1, BodyUnreadable


def test_created_key_file_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        key = create_key_file(tmp_path / "k")
    finally:
        os.umask(old)
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    assert load_key_file(tmp_path / "k") == key and len(key) == 32


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    create_key_file(tmp_path / "k")
    with pytest.raises(KeyFileError, match="already exists"):
        create_key_file(tmp_path / "k")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o700, 0o400])
def test_wrong_permissions_name_the_file(tmp_path: Path, mode: int) -> None:
    p = tmp_path / "k"
    create_key_file(p)
    p.chmod(mode)
    with pytest.raises(KeyFileError) as err:
        load_key_file(p)
    assert str(p) in str(err.value) and f"{mode:04o}" in str(err.value) and "0600" in str(err.value)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        load_key_file(tmp_path / "nope")


def test_foreign_owner_refused(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.fail("this test needs root to chown the key file (the test environment runs as root)")
    p = tmp_path / "k"
    create_key_file(p)
    os.chown(p, 65534, 65534)
    with pytest.raises(KeyFileError, match="owned by uid 65534"):
        load_key_file(p)


def test_malformed_and_raw_keys(tmp_path: Path) -> None:
    p = tmp_path / "k"
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"too short")
    os.close(fd)
    with pytest.raises(KeyFileError, match="32-byte"):
        load_key_file(p)
    p.write_bytes(bytes(range(32)))
    assert load_key_file(p) == bytes(range(32))


def test_symlink_and_directory_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    create_key_file(real)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(KeyFileError):
        load_key_file(tmp_path / "link")
    (tmp_path / "dir").mkdir(mode=0o600)
    with pytest.raises(KeyFileError):
        load_key_file(tmp_path / "dir")


def test_body_bound_to_its_row() -> None:
    c = BodyCipher(os.urandom(32))
    blob = c.encrypt(7, "key-a", b"secret", "POST", "/v1/x")
    assert c.decrypt(7, "key-a", blob, c.key_id, "POST", "/v1/x") == b"secret"
    assert b"secret" not in blob and len(blob) == len(b"secret") + 28
    with pytest.raises(BodyUnreadable):
        c.decrypt(8, "key-a", blob, c.key_id, "POST", "/v1/x")  # moved to another row
    with pytest.raises(BodyUnreadable):
        c.decrypt(7, "key-b", blob, c.key_id, "POST", "/v1/x")
    with pytest.raises(BodyUnreadable, match="another key") as other:
        BodyCipher(os.urandom(32)).decrypt(7, "key-a", blob, c.key_id, "POST", "/v1/x")
    assert not other.value.tampered  # a key mix-up, not tampering
    with pytest.raises(BodyUnreadable, match="tampered"):
        BodyCipher(os.urandom(32)).decrypt(7, "key-a", blob, None, "POST", "/v1/x")
    assert c.encrypt(7, "key-a", b"secret", "POST", "/v1/x")[:12] != blob[:12]  # fresh nonce every time


def test_method_and_path_are_bound_to_the_body() -> None:
    c = BodyCipher(os.urandom(32))
    blob = c.encrypt(7, "key-a", b"secret", "POST", "/v1/cards/loss")
    for method, path in (("POST", "/v1/contact"), ("PUT", "/v1/cards/loss"), ("POST", "/v1/cards/loss/")):
        with pytest.raises(BodyUnreadable, match="tampered") as exc:
            c.decrypt(7, "key-a", blob, c.key_id, method, path)
        assert exc.value.tampered
    # Version 1 (rows sealed before schema v5) bound only id and key; a version-2 blob never opens as one.
    with pytest.raises(BodyUnreadable):
        c.decrypt(7, "key-a", blob, c.key_id, "POST", "/v1/cards/loss", AD_V1)
    # A field boundary cannot be moved: the fields are length-prefixed.
    blob2 = c.encrypt(7, "k", b"x", "POST", "/a|b")
    with pytest.raises(BodyUnreadable):
        c.decrypt(7, "k", blob2, c.key_id, "POST|", "/a|b"[1:])


def test_ordering_tag_is_a_keyed_pseudonym() -> None:
    a, b = BodyCipher(os.urandom(32)), BodyCipher(os.urandom(32))
    assert a.ordering_tag("350102199003071234") == a.ordering_tag("350102199003071234")
    assert a.ordering_tag("350102199003071234") != b.ordering_tag("350102199003071234")
    assert "1990" not in a.ordering_tag("350102199003071234")


def test_associated_data_v2_bytes_are_pinned() -> None:
    """Rows sealed by earlier releases must keep opening: the AD layout never changes by accident
    (the enqueue path builds it by hand for speed)."""
    from offline_queue.crypto import AD_V2, _aad

    assert _aad(AD_V2, 42, "k-é", "POST", "/v1/x") == (
        b"oq2" + b"\x00\x00\x00\x02" + b"42" + b"\x00\x00\x00\x04" + "k-é".encode() + b"\x00\x00\x00\x04" + b"POST"
        + b"\x00\x00\x00\x05" + b"/v1/x")
