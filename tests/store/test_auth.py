"""wzgeo.store.auth: scrypt-hashed users file outside the repo, login checks, editing mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wzgeo.store import auth


@pytest.fixture
def users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "users.toml"
    monkeypatch.setenv("WZGEO_USERS", str(path))
    return path


def test_add_and_check_password(users_file: Path) -> None:
    auth.add_user("alice", "correct horse")
    auth.add_user("张三", "另一个密码123")
    users = auth.load_users()
    assert set(users) == {"alice", "张三"}
    assert auth.check_password("alice", "correct horse", users=users)
    assert auth.check_password("张三", "另一个密码123", users=users)
    assert not auth.check_password("alice", "correct horsE", users=users)
    assert not auth.check_password("alice", "另一个密码123", users=users)
    assert not auth.check_password("mallory", "correct horse", users=users)


def test_file_holds_hashes_with_per_user_salt_and_is_private(users_file: Path) -> None:
    auth.add_user("alice", "same-password")
    auth.add_user("bob", "same-password")
    text = users_file.read_text(encoding="utf-8")
    assert "same-password" not in text
    users = auth.load_users()
    assert users["alice"].salt != users["bob"].salt
    assert users["alice"].hash != users["bob"].hash
    assert (users["alice"].n, users["alice"].r, users["alice"].p) == (auth.SCRYPT_N, 8, 1)
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600


def test_default_path_is_outside_the_repo(monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    monkeypatch.delenv("WZGEO_USERS", raising=False)
    assert auth.users_path().name == "users.toml"
    assert not auth.users_path().resolve().is_relative_to(repo_root)


@pytest.mark.parametrize(
    ("name", "password", "match"),
    [
        ("bad name", "secret123", "not allowed"),
        ("local", "secret123", "not allowed"),
        ("carol", "123", "too short"),
    ],
    ids=["space", "reserved", "short"],
)
def test_bad_user_entries_refused(users_file: Path, name: str, password: str, match: str) -> None:
    with pytest.raises(auth.AuthError, match=match):
        auth.add_user(name, password)
    assert not users_file.exists()


def test_existing_user_needs_replace(users_file: Path) -> None:
    auth.add_user("alice", "first-pass")
    with pytest.raises(auth.AuthError, match="already exists"):
        auth.add_user("alice", "second-pass")
    auth.add_user("alice", "second-pass", replace=True)
    assert auth.check_password("alice", "second-pass")
    assert not auth.check_password("alice", "first-pass")


def test_broken_file_is_a_clear_error(users_file: Path) -> None:
    users_file.parent.mkdir(parents=True)
    users_file.write_text('[users.alice]\nsalt = "zz"\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="cannot be read"):
        auth.load_users()


def test_without_config_single_local_user_may_edit(users_file: Path) -> None:
    mode = auth.editing_mode()
    assert not mode.configured and mode.users == ()
    assert "single local user, read-write" in mode.describe("en")
    assert "单用户" in mode.describe("zh")
    assert auth.require_editor(None, None) == auth.LOCAL_USER
    assert auth.require_editor("alice", None) == "alice"


def test_with_config_editing_needs_the_right_password(users_file: Path) -> None:
    auth.add_user("alice", "secret123")
    mode = auth.editing_mode()
    assert mode.configured and mode.users == ("alice",)
    assert "requires a login" in mode.describe("en")
    assert auth.require_editor("alice", "secret123") == "alice"
    for name, password in [("alice", "nope"), ("bob", "secret123"), (None, None), ("alice", None)]:
        with pytest.raises(auth.PermissionDeniedError):
            auth.require_editor(name, password)
