"""CLI commands for saved work: assign, unassign, history, revert, store …, users ….

When users are configured for the store, commands that change it need the user's password:
typed at the prompt, or piped with ``--password-stdin``. The users file is the one the store
records (set at the first authenticated edit, or with ``wzgeo store users-file``), else
``$WZGEO_USERS`` / the user config dir. Without any users file the local user may edit freely.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wzgeo.cli._common import (
    check_output_path,
    print_json,
    require_existing_store,
    stored_int,
    terminal_text,
)
from wzgeo.errors import WzgeoError
from wzgeo.store import transfer

if TYPE_CHECKING:  # pragma: no cover
    from wzgeo.store.core import Change, Store

__all__ = ["register"]

#: the kinds of saved work in the change log (as ``wzgeo.store._schema.ENTITY_TYPES``)
_ENTITY_TYPES = (
    "assignment", "plot", "zone_boundary", "sector_fit", "land_rule", "sector_landclass",
)  # fmt: skip


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        type=Path,
        default=None,
        help="保存的工作文件（默认 $WZGEO_STORE 或用户数据目录）/ store file (default "
        "$WZGEO_STORE or the user data folder)",
    )


def _who_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", required=True, help="修改人 / who makes the change")
    p.add_argument(
        "--why", required=True, help="修改原因（记入历史）/ why (recorded in the history)"
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读密码（已配置用户时）/ read the password from standard input (when "
        "users are configured)",
    )


def _edit_args(p: argparse.ArgumentParser) -> None:
    """Who and why, the optimistic version check and the store file (commands that write)."""
    _who_args(p)
    p.add_argument(
        "--expected-version",
        type=stored_int,
        default=None,
        help="乐观并发：当前版本不是此值时拒绝保存 / refuse the change if the item is no longer "
        "at this version",
    )
    _store_arg(p)


def _editor(args: argparse.Namespace, store: Store | None = None) -> str:
    """The user allowed to change ``store`` (asks for the password when users exist).

    The store's recorded users file wins over ``WZGEO_USERS``; a configured users file not
    yet recorded is recorded at this first authenticated edit. ``store`` defaults to the
    saved-work store at ``--store`` (other stores kept beside it, e.g. the imported layers,
    follow its users file).
    """
    from wzgeo.store import auth

    store = store if store is not None else _open(args)
    recorded = store.users_file()
    path = recorded or auth.users_path()
    mode = auth.editing_mode(path, required=recorded is not None)
    password = _password(args) if mode.configured else None
    user = auth.require_editor(args.by, password, path=path, required=recorded is not None)
    if mode.configured and recorded is None:
        store.record_users_file(path)
    return user


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return _stdin_line()
    return _ask(f"{args.by} 的密码 / password: ")


def _ask(prompt: str) -> str:
    """A password typed at the terminal; a clear error when there is no one to type it."""
    from wzgeo.store import auth

    try:
        return _checked(getpass.getpass(prompt))
    except EOFError as e:
        raise auth.AuthError(
            "没有读到密码（没有终端可输入）。请在终端中运行，"
            "或用 --password-stdin 从标准输入提供密码。",
            "No password was read (no terminal to type it at). Run in a terminal, or pipe the "
            "password with --password-stdin.",
        ) from e


def _stdin_line() -> str:
    """One line from standard input without its line ending (``--password-stdin``)."""
    return _checked(sys.stdin.readline().rstrip("\r\n"))


def _checked(password: str) -> str:
    """Refuse a password that is not valid text (bytes that are not UTF-8 on stdin)."""
    from wzgeo.store import auth

    try:
        password.encode("utf-8")
    except UnicodeEncodeError as e:
        raise auth.AuthError(
            "密码不是有效的 UTF-8 文本；请检查输入的编码。",
            "The password is not valid UTF-8 text; check the input's encoding.",
        ) from e
    return password


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def _open(args: argparse.Namespace) -> Store:
    from wzgeo.store.core import open_store

    return open_store(args.store)


def _print_change(c: Change) -> None:
    print(
        terminal_text(
            f"已保存 / saved: 修改 change {c.change_id} — {c.entity_type} {c.entity_id} "
            f"版本 version {c.version} ({c.op}) by {c.by_user} at {c.at}"
        )
    )


def _cmd_assign(args: argparse.Namespace) -> int:
    store = _open(args)
    by = _editor(args, store)
    change = store.assign(
        args.project, args.zone, by=by, why=args.why, expected_version=args.expected_version
    )
    _print_change(change)
    return 0


def _cmd_unassign(args: argparse.Namespace) -> int:
    store = _open(args)
    by = _editor(args, store)
    change = store.unassign(
        args.project, by=by, why=args.why, expected_version=args.expected_version
    )
    _print_change(change)
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    require_existing_store(args.store)
    store = _open(args)
    h = store.history(args.id, entity_type=args.type)
    if args.json:
        records = h.drop(columns="payload").astype(object).where(h.notna(), None)
        print_json(records.to_dict(orient="records"), indent=1)
        return 0
    if h.empty:
        print(f"没有修改记录 / no changes{' for ' + args.id if args.id else ''}.")
        return 0
    cols = ["change_id", "at", "by_user", "entity_type", "entity_id", "op", "version", "value",
            "why", "reverts_change_id"]  # fmt: skip
    view = h[cols].copy()
    view["at"] = view["at"].str.slice(0, 19).str.replace("T", " ") + "Z"
    view["value"] = view["value"].str.slice(0, 60)
    # names, reasons and ids are the users' text: escape sequences are shown, not obeyed
    for col in ("by_user", "entity_id", "value", "why"):
        view[col] = [terminal_text(v) for v in view[col]]
    imported = store.last_import()
    if imported and (h["origin"] != "").any():
        view["imported"] = ["*" if o else "" for o in h["origin"]]
    print(view.to_string(index=False))
    if imported and (h["origin"] != "").any():
        print(
            terminal_text(
                f"* 导入 / imported {str(imported.get('at', ''))[:19].replace('T', ' ')}Z "
                f"by {imported.get('by')} from {imported.get('file')} "
                f"(sha256 {str(imported.get('file_sha256', ''))[:12]}…, "
                f"signature: {imported.get('signature')}). "
                f"修改人和时间按该文件记录 / authors and times as recorded in that file."
            )
        )
    return 0


def _cmd_revert(args: argparse.Namespace) -> int:
    store = _open(args)
    by = _editor(args, store)
    change = store.revert(args.change_id, by=by, why=args.why, force=args.force)
    _print_change(change)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    require_existing_store(args.store)
    check_output_path(args.out, overwrite=args.force, inputs=[args.store], flag="--force")
    manifest = transfer.export_store(_open(args), args.out, overwrite=args.force)
    print(f"已导出 / exported {args.out}: {_counts_text(manifest['counts'])}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    if args.file.is_dir():
        raise WzgeoError(
            f"{args.file} 是文件夹；请给出 wzgeo store export 写出的 .gpkg 文件。未导入任何内容。",
            f"{args.file} is a folder; give the .gpkg file written by wzgeo store export. "
            "Nothing was imported.",
        )
    store = _open(args)
    by = _editor(args, store)
    result = transfer.import_store(
        store, args.file, replace=args.replace, by=by,
        require_signature=args.require_signature,
    )  # fmt: skip
    print(f"已导入 / imported {args.file}: {_counts_text(result['counts'])}")
    print(f"签名 / signature: {terminal_text(result['provenance']['signature'])}")
    if result.get("backup"):
        print(f"原存储已备份 / previous store backed up to {result['backup']}")
    return 0


def _cmd_boundary(args: argparse.Namespace) -> int:
    import geopandas as gpd
    import pyogrio.errors

    from wzgeo.errors import InputFileError
    from wzgeo.store.savedwork import features_of_zone

    store = _open(args)
    by = _editor(args, store)
    try:
        gdf = gpd.read_file(args.file, layer=args.layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise InputFileError(
            f"无法读取边界文件 {args.file}：{e}。",
            f"Cannot read the boundary file {args.file}: {e}.",
        ) from e
    gdf = features_of_zone(gdf, args.zone, name=str(args.file))
    change = store.set_zone_boundary(
        args.zone, gdf, source=Path(args.file).name, by=by, why=args.why,
        expected_version=args.expected_version,
    )  # fmt: skip
    _print_change(change)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    require_existing_store(args.store)
    store = _open(args)
    check = store.verify()
    print(f"store: {store.path}")
    print(f"integrity_check: {check.integrity}")
    print(f"changes: {check.n_changes}, entities: {check.n_entities}")
    for problem in check.problems:
        print(terminal_text(f"problem: {problem}"))
    print("一致 / consistent" if check.ok else "不一致 / INCONSISTENT")
    return 0 if check.ok else 1


def _cmd_recover(args: argparse.Namespace) -> int:
    from wzgeo.store.core import default_store_path, load_id_catalog

    damaged = args.store if args.store is not None else default_store_path()
    if not isinstance(damaged, Path):
        raise WzgeoError(
            "store recover 用于 SQLite 存储文件；PostgreSQL 数据库请用其自身的备份与恢复。",
            "store recover is for SQLite store files; recover a PostgreSQL database with its "
            "own backup and restore.",
        )
    require_existing_store(damaged)
    check_output_path(args.out, overwrite=False, inputs=[damaged])
    result = transfer.recover_store(damaged, args.out, ids=load_id_catalog())
    print(
        terminal_text(
            f"已恢复 / recovered {result['recovered']} 条修改 changes "
            f"({result['entities']} 项 entities) → {result['out']}"
        )
    )
    for cid, reason in result["lost"]:
        print(terminal_text(f"未恢复 / lost: change {cid}: {reason}"))
    print(
        f"请检查后把 WZGEO_STORE 指向新文件 / check it (wzgeo store check --store {args.out}), "
        f"then point WZGEO_STORE at it."
    )
    return 0 if not result["lost"] else 1


def _cmd_users_file(args: argparse.Namespace) -> int:
    store = _open(args)
    if args.path is None:
        recorded = store.users_file()
        print(
            terminal_text(
                f"存储 / store {store.path}: 用户文件 / users file "
                f"{recorded if recorded else '（未记录 / not recorded）'}"
            )
        )
        return 0
    if not args.path.is_file():
        raise WzgeoError(
            f"用户文件 {args.path} 不存在；请先用 wzgeo users add 创建（设置 WZGEO_USERS）。",
            f"The users file {args.path} does not exist; create it first with wzgeo users add "
            f"(with WZGEO_USERS set to it).",
        )
    user = _editor(args, store)  # a login against the file recorded so far, if any
    store.record_users_file(args.path)
    print(terminal_text(f"{user}: 存储 / store {store.path} → 用户文件 / users file {args.path}"))
    return 0


def _cmd_users_add(args: argparse.Namespace) -> int:
    from wzgeo.store import auth

    if args.password_stdin:
        password = _stdin_line()
    else:
        password = _ask(f"{args.name} 的新密码 / new password: ")
        again = _ask("再输入一次 / repeat: ")
        if password != again:
            raise auth.AuthError("两次输入的密码不一致。", "The two passwords differ.")
    path = auth.add_user(args.name, password, replace=args.replace)
    print(f"用户 / user {args.name} → {path}")
    return 0


def _cmd_users_list(args: argparse.Namespace) -> int:
    from wzgeo.store import auth
    from wzgeo.store.core import default_store_path

    location = args.store if args.store is not None else default_store_path()
    recorded = None
    if not isinstance(location, Path) or location.is_file():
        recorded = _open(args).users_file()  # the file this store requires, if it records one
    mode = auth.editing_mode(recorded, required=recorded is not None)
    print(mode.describe("zh"))
    print(mode.describe("en"))
    for name in mode.users:
        print(name)
    return 0


def _cmd_landclass_set(args: argparse.Namespace) -> int:
    store = _open(args)
    by = _editor(args, store)
    change = store.set_sector_landclass(
        args.sector, args.land_class, by=by, why=args.why, expected_version=args.expected_version
    )
    _print_change(change)
    return 0


def _cmd_landclass_list(args: argparse.Namespace) -> int:
    from wzgeo.store.workspace import effective_landclass, store_for_reading

    table = effective_landclass(None if args.no_store else store_for_reading(args.store))
    if "class_source" not in table:
        table = table.assign(class_source="shipped", plan_required_class=table["required_class"])
    cols = [c for c in ("sector_id", "required_class", "plan_required_class", "class_source",
                        "edited_by", "edited_at", "edited_why", "basis", "source")
            if c in table]  # fmt: skip
    view = table[cols].astype(object).where(table[cols].notna(), None)
    if args.json:
        print_json(view.to_dict(orient="records"), indent=1)
        return 0
    view = view.drop(columns=[c for c in ("source",) if c in view]).fillna("")
    for col in ("edited_by", "edited_why"):
        if col in view:
            view[col] = [terminal_text(v) for v in view[col]]
    print(
        "工业用地类别（1 一类、2 二类、3 三类、空 = 未知）/ industrial land class each sector "
        "needs (empty = unknown); class_source: shipped | user edit"
    )
    print(view.to_string(index=False))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser("assign", help="将项目安排到园区 / assign a project to a zone")
    p.add_argument("project", help="project id, e.g. AU-12 / 项目编号")
    p.add_argument("zone", help="zone id, e.g. gaofeng / 园区编号")
    _edit_args(p)
    p.set_defaults(func=_cmd_assign)

    p = sub.add_parser("unassign", help="取消项目安排 / remove a project's assignment")
    p.add_argument("project", help="项目编号，如 AU-12 / project id, e.g. AU-12")
    _edit_args(p)
    p.set_defaults(func=_cmd_unassign)

    p = sub.add_parser("history", help="项目或园区的修改历史 / history of a project or zone")
    p.add_argument(
        "id",
        nargs="?",
        default=None,
        help="项目、园区或地块编号（省略则列出全部）/ project, zone or plot id (all if omitted)",
    )
    p.add_argument(
        "--type",
        default=None,
        choices=list(_ENTITY_TYPES),
        help="只看这一类修改 / only changes of this kind",
    )
    p.add_argument("--json", action="store_true", help="输出 JSON 记录 / print JSON records")
    _store_arg(p)
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser(
        "revert", help="撤销修改（追加新记录） / undo a change by appending a new one"
    )
    p.add_argument(
        "change_id",
        type=stored_int,
        help="要撤销的修改编号（见 history）/ change id to undo (see history)",
    )
    _who_args(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="同一对象之后的修改也一并撤销 / also undo later changes of the same item",
    )
    _store_arg(p)
    p.set_defaults(func=_cmd_revert)

    p = sub.add_parser(
        "landclass",
        help="各产业需要的工业用地类别（可修改，有历史）/ the industrial land class each sector "
        "needs (editable, with history)",
        description="修改记入保存的工作；历史：wzgeo history SECTOR --type sector_landclass；"
        "撤销：wzgeo revert CHANGE_ID / edits are saved work; history: wzgeo history SECTOR "
        "--type sector_landclass; undo: wzgeo revert CHANGE_ID",
    )
    lsub = p.add_subparsers(dest="landclass_command", required=True)
    q = lsub.add_parser(
        "set", help="设置一个产业的工业用地类别 / set the land class a sector needs"
    )
    q.add_argument("sector", help="产业编号，如 food / sector id, e.g. food")
    q.add_argument(
        "land_class",
        metavar="CLASS",
        help="1（一类）、2（二类）、3（三类）或 none（无）/ 1, 2, 3 or none",
    )
    _edit_args(q)
    q.set_defaults(func=_cmd_landclass_set)
    q = lsub.add_parser("list", help="列出生效的工业用地类别 / list the land classes in effect")
    q.add_argument("--json", action="store_true", help="输出 JSON 记录 / print JSON records")
    g = q.add_mutually_exclusive_group()
    g.add_argument(
        "--store",
        type=Path,
        default=None,
        help="保存的工作文件（默认 $WZGEO_STORE 或用户数据目录）/ store file (default "
        "$WZGEO_STORE or the user data folder)",
    )
    g.add_argument("--no-store", action="store_true", help="只看随附的表 / the shipped table only")
    q.set_defaults(func=_cmd_landclass_list)

    p = sub.add_parser(
        "store", help="保存的工作：导出、导入、检查 / export, import or check the store"
    )
    ssub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    q = ssub.add_parser("export", help="导出为 GeoPackage / write the whole store to a GeoPackage")
    q.add_argument("out", type=Path, help="输出 .gpkg 文件 / output .gpkg file")
    q.add_argument(
        "--force",
        action="store_true",
        help="覆盖已存在的 OUT（默认拒绝）/ replace an existing OUT (refused by default)",
    )
    _store_arg(q)
    q.set_defaults(func=_cmd_export)
    q = ssub.add_parser(
        "import", help="导入 store export 的文件 / load a GeoPackage written by store export"
    )
    q.add_argument("file", type=Path, help="store export 写出的 .gpkg / a .gpkg from store export")
    q.add_argument(
        "--replace",
        action="store_true",
        help="替换非空的存储（先自动备份）/ replace a non-empty store (a backup is made first)",
    )
    q.add_argument(
        "--by",
        default=None,
        help="导入人（已配置用户时必填）/ who imports (required when users are configured)",
    )
    q.add_argument(
        "--require-signature",
        action="store_true",
        help="只接受用本机导出密钥签名的文件 / accept only files signed with this "
        "installation's export key ($WZGEO_EXPORT_KEY)",
    )
    q.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读密码 / password from stdin"
    )
    _store_arg(q)
    q.set_defaults(func=_cmd_import)
    q = ssub.add_parser(
        "boundary", help="保存官方园区边界 / save an official zone boundary from a GIS file"
    )
    q.add_argument("zone", help="zone id / 园区编号")
    q.add_argument(
        "file",
        type=Path,
        help="带坐标系的 GeoJSON、GeoPackage、Shapefile（.shp/.zip）/ GeoJSON, GeoPackage or "
        "Shapefile (.shp/.zip) with a CRS",
    )
    q.add_argument(
        "--layer", default=None, help="多图层文件中的图层名 / layer name in a multi-layer file"
    )
    _edit_args(q)
    q.set_defaults(func=_cmd_boundary)
    q = ssub.add_parser(
        "recover",
        help="从损坏存储的修改日志重建新存储 / rebuild a damaged store from its change log into "
        "a new file (exit code 1 if changes were lost)",
    )
    q.add_argument("out", type=Path, help="新的存储文件 / the new store file (must not exist)")
    _store_arg(q)
    q.set_defaults(func=_cmd_recover)
    q = ssub.add_parser(
        "users-file",
        help="存储要求的用户文件（查看或设置）/ show or set the users file this store requires "
        "logins from",
    )
    q.add_argument(
        "path", type=Path, nargs="?", default=None,
        help="新的用户文件（省略则显示当前）/ the new users file (omit to show the current one)",
    )  # fmt: skip
    q.add_argument("--by", default=None, help="用户 / user (when users are configured)")
    q.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读密码 / password from stdin"
    )
    _store_arg(q)
    q.set_defaults(func=_cmd_users_file)
    q = ssub.add_parser(
        "check",
        help="完整性与一致性检查（不一致时退出码 1）/ integrity check and log/state consistency "
        "(exit code 1 if inconsistent)",
    )
    _store_arg(q)
    q.set_defaults(func=_cmd_check)

    p = sub.add_parser("users", help="可编辑的用户 / users allowed to edit")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    q = usub.add_parser("add", help="添加用户 / add a user (password prompted or --password-stdin)")
    q.add_argument("name", help="用户名（字母、数字、_ . -）/ user name (letters, digits, _ . -)")
    q.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读密码 / password from stdin"
    )
    q.add_argument(
        "--replace",
        action="store_true",
        help="修改已有用户的密码 / change an existing user's password",
    )
    q.set_defaults(func=_cmd_users_add)
    q = usub.add_parser("list", help="谁可以编辑 / show who may edit")
    _store_arg(q)
    q.set_defaults(func=_cmd_users_list)
