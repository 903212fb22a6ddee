"""Editing rights: named users with scrypt-hashed passwords, kept outside the repository.

Viewing is always open. Editing is limited to the users in a TOML file when that file exists:
the file the store records (``wzgeo store users-file``, recorded automatically at the first
authenticated edit), else ``$WZGEO_USERS`` if set, else ``users.toml`` in the user config
directory (platformdirs). On a server shared by several OS accounts point ``WZGEO_USERS`` of
every account at one file (readable by all of them, writable by the administrator); once the
store records it, every account's CLI asks for a password, whatever its own ``WZGEO_USERS``.
Without a users file wzgeo runs for a single local user who may edit, and says so
(:func:`editing_mode`) — only when the app serves this machine alone; served on a network it
is then view-only (the app decides, :mod:`wzgeo.app.state`).

Passwords are hashed with scrypt (N = 2**17, r = 8, p = 1, the current OWASP advice); an older,
cheaper hash is replaced at the user's next successful login. :class:`LoginLimiter` refuses
further attempts for a while after repeated failures, per user name and per address.

The file looks like::

    [users."alice"]
    scheme = "scrypt"
    salt = "9f0c…"          # hex, 16 random bytes per user
    hash = "4e1a…"          # hex, hashlib.scrypt(password, salt=salt, n=n, r=r, p=p)
    n = 131072
    r = 8
    p = 1
    created_at = "2026-11-26T05:00:00+00:00"

Create entries with ``wzgeo users add NAME`` (or :func:`add_user`); passwords are never stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import tomllib
from pathlib import Path

from wzgeo.errors import WzgeoError
from wzgeo.paths import user_file

__all__ = [
    "DEFAULT_SCRYPT_N",
    "LOCAL_USER",
    "AuthError",
    "EditingMode",
    "LoginLimiter",
    "PermissionDeniedError",
    "UserRecord",
    "add_user",
    "check_password",
    "editing_mode",
    "load_users",
    "require_editor",
    "users_path",
]

logger = logging.getLogger(__name__)

LOCAL_USER = "local"
#: scrypt cost for new hashes (OWASP, 2024: N = 2**17, r = 8, p = 1 — 128 MiB, ≈ 0.4–1.2 s)
DEFAULT_SCRYPT_N = 2**17
SCRYPT_N = DEFAULT_SCRYPT_N
SCRYPT_R = 8
SCRYPT_P = 1
_NAME_RE = re.compile(r"^[\w.\-]{1,64}$")
_MIN_PASSWORD = 6


class AuthError(WzgeoError):
    """The users file is broken, or a user or password is not acceptable."""


class PermissionDeniedError(AuthError):
    """The user may not edit (unknown user, wrong password, or not logged in)."""


@dataclasses.dataclass(frozen=True)
class UserRecord:
    """One configured user (the hash and its parameters; never the password)."""

    name: str
    salt: bytes
    hash: bytes
    n: int
    r: int
    p: int
    created_at: str = ""


@dataclasses.dataclass(frozen=True)
class EditingMode:
    """Who may edit, as the app and the CLI should explain it.

    Attributes
    ----------
    configured
        True when a users file exists: editing needs a login.
    users
        Configured user names (empty when not configured).
    path
        The users file that was looked for.
    """

    configured: bool
    users: tuple[str, ...]
    path: Path

    def describe(self, lang: str = "zh") -> str:
        """One sentence for the UI: who may edit."""
        if self.configured and not self.path.exists():
            if lang == "en":
                return (
                    f"The store requires logins from the users file {self.path}, which is "
                    f"missing: editing is refused until it is restored. Viewing is open."
                )
            return (
                f"存储要求使用用户文件 {self.path} 登录，但该文件不存在：恢复前不能编辑。"
                f"浏览不受影响。"
            )
        if not self.configured:
            if lang == "en":
                return (
                    f"No users configured ({self.path} not found): single local user, "
                    f"read-write. Create users with `wzgeo users add NAME` to require a login."
                )
            return (
                f"未配置用户（未找到 {self.path}）：本机单用户模式，可读写。"
                f"用 `wzgeo users add 用户名` 添加用户后，编辑需要登录。"
            )
        if lang == "en":
            return f"Viewing is open; editing requires a login ({len(self.users)} users)."
        return f"浏览无需登录；编辑需要登录（已配置 {len(self.users)} 个用户）。"


def users_path() -> Path:
    """``$WZGEO_USERS`` if set, else ``users.toml`` in the user config dir (platformdirs)."""
    return user_file("WZGEO_USERS", "users.toml", folder="config")


def _hash(password: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )


def load_users(path: str | os.PathLike[str] | None = None) -> dict[str, UserRecord]:
    """Read the users file; an absent file gives ``{}``.

    Raises
    ------
    AuthError
        If the file exists but cannot be parsed or an entry lacks a field.
    """
    path = Path(path) if path is not None else users_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        users = {}
        for name, entry in data.get("users", {}).items():
            if entry.get("scheme", "scrypt") != "scrypt":
                raise ValueError(f"user {name}: unknown scheme {entry.get('scheme')!r}")
            users[name] = UserRecord(
                name=name,
                salt=bytes.fromhex(entry["salt"]),
                hash=bytes.fromhex(entry["hash"]),
                n=int(entry["n"]),
                r=int(entry["r"]),
                p=int(entry["p"]),
                created_at=str(entry.get("created_at", "")),
            )
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError, AttributeError) as e:
        raise AuthError(
            f"用户文件 {path} 无法读取：{e}。请修正或删除后用 `wzgeo users add` 重建。",
            f"The users file {path} cannot be read: {e}. Fix it, or delete it and recreate "
            f"users with `wzgeo users add`.",
        ) from e
    return users


def _toml(users: dict[str, UserRecord]) -> str:
    lines = ["# wzgeo users: scrypt password hashes (wzgeo users add). Keep this file private.", ""]
    for u in users.values():
        lines += [
            f"[users.{json.dumps(u.name, ensure_ascii=False)}]",
            'scheme = "scrypt"',
            f'salt = "{u.salt.hex()}"',
            f'hash = "{u.hash.hex()}"',
            f"n = {u.n}",
            f"r = {u.r}",
            f"p = {u.p}",
            f"created_at = {json.dumps(u.created_at)}",
            "",
        ]
    return "\n".join(lines)


def add_user(
    name: str,
    password: str,
    *,
    path: str | os.PathLike[str] | None = None,
    replace: bool = False,
    n: int | None = None,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> Path:
    """Add (or with ``replace`` re-set) a user; write the file atomically with mode 0600.

    Parameters
    ----------
    name
        Letters, digits (any script), ``_``, ``.``, ``-``; at most 64 characters.
    password
        At least 6 characters; only its scrypt hash is stored, with a random salt.
    path
        The users file; default :func:`users_path`.
    replace
        Allow changing the password of an existing user.
    n, r, p
        scrypt cost parameters (stored per user); ``n`` default :data:`SCRYPT_N`.

    Returns
    -------
    pathlib.Path
        The users file written.
    """
    path = Path(path) if path is not None else users_path()
    if not _NAME_RE.match(name or "") or name == LOCAL_USER:
        raise AuthError(
            f"用户名 '{name}' 不可用：只能含字母、数字、_ . -（最多 64 字），且不能是 "
            f"'{LOCAL_USER}'。",
            f"User name '{name}' is not allowed: use letters, digits, _ . - (at most 64), "
            f"and not '{LOCAL_USER}'.",
        )
    if len(password) < _MIN_PASSWORD:
        raise AuthError(
            f"密码太短：至少 {_MIN_PASSWORD} 个字符。",
            f"Password too short: at least {_MIN_PASSWORD} characters.",
        )
    n = SCRYPT_N if n is None else n
    users = load_users(path)
    if name in users and not replace:
        raise AuthError(
            f"用户 '{name}' 已存在；如需修改密码请加 --replace。",
            f"User '{name}' already exists; add --replace to change the password.",
        )
    salt = os.urandom(16)
    users[name] = UserRecord(
        name, salt, _hash(password, salt, n=n, r=r, p=p), n, r, p,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    _write_users(path, users)
    logger.info("user %s written to %s", name, path)
    return path


def _write_users(path: Path, users: dict[str, UserRecord]) -> None:
    """Write the users file atomically, mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_toml(users))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def check_password(
    name: str,
    password: str,
    *,
    users: dict[str, UserRecord] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> bool:
    """True when ``name`` is a configured user and ``password`` matches its hash.

    A match against a hash cheaper than :data:`SCRYPT_N` re-hashes the password at the
    current cost and rewrites the user's entry in ``path`` (when the file is writable).

    Parameters
    ----------
    name, password
        The login.
    users
        :func:`load_users` result; default read from ``path``.
    path
        The users file; default :func:`users_path`.
    """
    path = Path(path) if path is not None else users_path()
    users = load_users(path) if users is None else users
    rec = users.get(name)
    if rec is None:
        # Spend the same time as a real check so user names cannot be probed by timing.
        _hash(password, b"0" * 16, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        return False
    ok = hmac.compare_digest(_hash(password, rec.salt, n=rec.n, r=rec.r, p=rec.p), rec.hash)
    if ok and (rec.n, rec.r, rec.p) < (SCRYPT_N, SCRYPT_R, SCRYPT_P) and path.exists():
        _rehash(path, rec, password)
    return ok


def _rehash(path: Path, rec: UserRecord, password: str) -> None:
    """Replace ``rec``'s hash by one at the current cost (after a successful login)."""
    try:
        users = load_users(path)
        if users.get(rec.name) != rec:  # changed meanwhile: leave it
            return
        salt = os.urandom(16)
        users[rec.name] = dataclasses.replace(
            rec, salt=salt, hash=_hash(password, salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P),
            n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
        )  # fmt: skip
        _write_users(path, users)
        logger.info("user %s: password hash raised to scrypt N=%d", rec.name, SCRYPT_N)
    except (OSError, AuthError) as e:  # a read-only users file: keep the old hash
        logger.warning("could not raise the password hash of %s in %s: %s", rec.name, path, e)


class LoginLimiter:
    """Refuse logins for a while after repeated failures, per user name and per address.

    After ``max_failures`` failed attempts for one user name within ``window_s`` seconds,
    or ``max_per_address`` from one address (any names), further attempts are refused
    until the oldest failure leaves the window. A success clears the user's count. Thread
    safe; keep one per server process (the app keeps it in ``st.cache_resource``).

    Parameters
    ----------
    max_failures
        Failed attempts per user name in the window.
    max_per_address
        Failed attempts per address (all names) in the window.
    window_s
        The window in seconds.
    """

    def __init__(
        self, *, max_failures: int = 5, max_per_address: int = 20, window_s: float = 900.0
    ) -> None:
        import threading

        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window_s = window_s
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], list[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def check(self, name: str, address: str | None, *, now: float | None = None) -> None:
        """Raise :class:`PermissionDeniedError` while ``name`` or ``address`` is locked."""
        import time

        now = time.monotonic() if now is None else now
        with self._lock:
            for key, limit in (
                (("user", name), self.max_failures),
                (("address", address or "?"), self.max_per_address),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = int(self.window_s - (now - times[0])) + 1
                    raise PermissionDeniedError(
                        f"登录失败次数过多，请 {wait} 秒后再试。",
                        f"Too many failed logins; try again in {wait} s.",
                    )

    def failed(self, name: str, address: str | None, *, now: float | None = None) -> None:
        """Count one failed attempt for ``name`` and ``address``."""
        import time

        now = time.monotonic() if now is None else now
        with self._lock:
            for key in (("user", name), ("address", address or "?")):
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, name: str) -> None:
        """Clear the failures of ``name`` (the address keeps its count)."""
        with self._lock:
            self._failures.pop(("user", name), None)


def editing_mode(
    path: str | os.PathLike[str] | None = None, *, required: bool = False
) -> EditingMode:
    """Whether editing needs a login, and which users exist.

    Parameters
    ----------
    path
        The users file; default :func:`users_path`.
    required
        The store records this file (:meth:`wzgeo.store.core.Store.users_file`): logins are
        required even when the file is missing (then nobody may edit).
    """
    path = Path(path) if path is not None else users_path()
    users = load_users(path)
    return EditingMode(configured=path.exists() or required, users=tuple(sorted(users)), path=path)


def require_editor(
    name: str | None,
    password: str | None,
    *,
    path: str | os.PathLike[str] | None = None,
    limiter: LoginLimiter | None = None,
    address: str | None = None,
    required: bool = False,
) -> str:
    """Return the user allowed to edit, or raise :class:`PermissionDeniedError`.

    Without a users file anyone may edit (``name`` or :data:`LOCAL_USER` is returned).

    Parameters
    ----------
    name, password
        The login (``password`` unused when no users are configured).
    path
        The users file; default :func:`users_path`.
    limiter, address
        Count failures and refuse while locked (:class:`LoginLimiter`), keyed by the user
        name and the client's address.
    required
        As for :func:`editing_mode` (the store records ``path``).
    """
    mode = editing_mode(path, required=required)
    if not mode.configured:
        return name.strip() if name and name.strip() else LOCAL_USER
    if not mode.path.exists():
        raise PermissionDeniedError(mode.describe("zh"), mode.describe("en"))
    if not name or password is None:
        raise PermissionDeniedError(
            "需要登录才能编辑：请提供用户名和密码。",
            "Editing requires a login: give a user name and password.",
        )
    if limiter is not None:
        limiter.check(name, address)
    if not check_password(name, password, users=load_users(mode.path), path=mode.path):
        if limiter is not None:
            limiter.failed(name, address)
        raise PermissionDeniedError(
            f"用户名或密码错误（{name}），不能编辑。浏览不受影响。",
            f"Wrong user name or password ({name}); editing refused. Viewing stays open.",
        )
    if limiter is not None:
        limiter.succeeded(name)
    return name
