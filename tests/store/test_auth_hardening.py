"""Issue 14, finding 2: editing rights that hold (scrypt cost, rehash, rate limit, the users
file the store records, enforced by the CLI)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from wzgeo.cli.entry import main
from wzgeo.store import auth
from wzgeo.store.core import open_store


def test_shipped_cost_is_owasp_and_old_hashes_are_raised_at_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert auth.DEFAULT_SCRYPT_N == 2**17
    path = tmp_path / "users.toml"
    auth.add_user("alice", "old-cheap-pw", path=path, n=2**14)  # a file from before
    monkeypatch.setattr(auth, "SCRYPT_N", auth.DEFAULT_SCRYPT_N)
    assert auth.load_users(path)["alice"].n == 2**14
    assert not auth.check_password("alice", "wrong-pw", path=path)
    assert auth.load_users(path)["alice"].n == 2**14  # a failed login changes nothing
    assert auth.check_password("alice", "old-cheap-pw", path=path)
    rec = auth.load_users(path)["alice"]
    assert (rec.n, rec.r, rec.p) == (2**17, 8, 1)
    assert auth.check_password("alice", "old-cheap-pw", path=path)  # still the same password


def test_login_attempts_are_limited_per_user_and_per_address(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    auth.add_user("alice", "alice-pw", path=path)
    auth.add_user("bob", "bob-pw", path=path)
    limiter = auth.LoginLimiter(max_failures=3, max_per_address=5, window_s=60)
    for _ in range(3):
        with pytest.raises(auth.PermissionDeniedError, match="Wrong user name or password"):
            auth.require_editor("alice", "guess", path=path, limiter=limiter, address="10.0.0.9")
    # locked now, even with the right password and from another address
    with pytest.raises(auth.PermissionDeniedError, match="Too many failed logins"):
        auth.require_editor("alice", "alice-pw", path=path, limiter=limiter, address="10.0.0.8")
    # the address that guessed is limited for other names too
    for name in ("bob", "carol"):
        with pytest.raises(auth.PermissionDeniedError, match="Wrong"):
            auth.require_editor(name, "guess", path=path, limiter=limiter, address="10.0.0.9")
    with pytest.raises(auth.PermissionDeniedError, match="Too many"):
        auth.require_editor("bob", "bob-pw", path=path, limiter=limiter, address="10.0.0.9")
    assert auth.require_editor("bob", "bob-pw", path=path, limiter=limiter, address="10.0.0.7")
    # the lock ends when the failures leave the window
    import time

    later = time.monotonic() + 61
    limiter.check("alice", "10.0.0.9", now=later)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_enforces_the_users_file_the_store_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared-users.toml"
    auth.add_user("alice", "alice-pw", path=shared)
    store = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_USERS", str(shared))
    monkeypatch.setattr("sys.stdin", io.StringIO("alice-pw\n"))
    args = ["--store", str(store), "--why", "近港口"]
    code, out = _run(capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--password-stdin",
                     *args)  # fmt: skip
    assert code == 0, out
    assert open_store(store).users_file() == shared.resolve()
    # another OS account: no users file of its own ...
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "nothing-here.toml"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out = _run(capsys, "assign", "AU-12", "lihe", "--by", "mallory", "--password-stdin",
                     *args)  # fmt: skip
    assert code == 2 and "password" in out.lower(), out
    # ... or one it wrote itself
    own = tmp_path / "mallory-users.toml"
    auth.add_user("mallory", "mallory-pw", path=own)
    monkeypatch.setenv("WZGEO_USERS", str(own))
    monkeypatch.setattr("sys.stdin", io.StringIO("mallory-pw\n"))
    code, out = _run(capsys, "assign", "AU-12", "lihe", "--by", "mallory", "--password-stdin",
                     *args)  # fmt: skip
    assert code == 2 and "Wrong user name or password" in out, out
    assert open_store(store).history()["by_user"].tolist() == ["alice"]
    # the recorded file gone: nobody edits (fail closed), reading still works
    shared.unlink()
    monkeypatch.setattr("sys.stdin", io.StringIO("alice-pw\n"))
    code, out = _run(capsys, "assign", "AU-12", "lihe", "--by", "alice", "--password-stdin",
                     *args)  # fmt: skip
    assert code == 2 and "missing" in out, out
    assert _run(capsys, "history", "--store", str(store))[0] == 0


def test_users_list_shows_the_store_s_users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared.toml"
    auth.add_user("alice", "alice-pw", path=shared)
    store = open_store(tmp_path / "store.sqlite")
    store.record_users_file(shared)
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "none.toml"))  # another account
    code, out = _run(capsys, "users", "list", "--store", str(store.path))
    assert code == 0 and "alice" in out and "editing requires a login" in out, out
