"""CLI commands for the plan tables: ``wzgeo build-data``, ``wzgeo build-siting``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wzgeo import paths
from wzgeo.cli._common import atomic_folder, atomic_output
from wzgeo.errors import WzgeoError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser(
        "build-data",
        help="从规划文本生成 geodata/plan/ 数据表 / build geodata/plan/ from the plan text",
        description=(
            "解析规划全文，核对项目库的计数与小计，修复并记录转换错误，写出 zones.csv、"
            "projects.csv、indicators.csv、targets.csv、quality.json、quality.md。\n"
            "Parse the plan text, reconcile the project library (counts, subtotals, garbles) "
            "and write zones.csv, projects.csv, indicators.csv, targets.csv, quality.json and "
            "quality.md."
        ),
    )
    p.add_argument(
        "--plan",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"规划文本（UTF-8）/ the plan text (default: {paths.seed_plan_path()})",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"输出目录（其中同名文件会被替换）/ output folder; files of the same name are "
        f"replaced (default: {paths.plan_dir()})",
    )
    p.add_argument(
        "--sectors",
        type=Path,
        default=None,
        metavar="PATH",
        help="行业分类表 / sector taxonomy (default: geodata/sectors.csv)",
    )
    p.set_defaults(func=_build_data)

    s = sub.add_parser(
        "build-siting",
        help="预先求解项目选址并写出 geodata/plan/siting.json / store the solved project "
        "siting of the shipped tables",
        description=(
            "为随附数据（无保存的分配、无适配表修改）求解项目选址并写出 "
            "geodata/plan/siting.json，应用启动后的第一页即可直接读取。"
            "规划表、sector_fit.csv、选址代码或 scipy、pandas 版本改变后需重新运行；"
            "--check 只检查。\n"
            "Solve the project siting of the shipped tables (no saved assignments, no fit "
            "edits) and store it in geodata/plan/siting.json, so the app's first page after a "
            "start reads it instead of solving. Rerun after changing the plan tables, "
            "sector_fit.csv, the siting code, scipy or pandas; --check only checks."
        ),
    )
    s.add_argument(
        "--check",
        action="store_true",
        help="只检查已存文件是否与当前数据、代码一致（不一致时退出码 1）/ only check that the "
        "stored file is current (exit 1 if not)",
    )
    s.set_defaults(func=_build_siting)


def _build_data(args: argparse.Namespace) -> int:
    from wzgeo.plan.data import build_data

    plan = args.plan if args.plan is not None else paths.seed_plan_path()
    if plan.is_dir():
        raise WzgeoError(
            f"{plan} 是文件夹；请用 --plan 指定规划全文的 UTF-8 文本文件。",
            f"{plan} is a folder; give the plan's UTF-8 text file with --plan.",
        )
    if not plan.is_file():
        raise WzgeoError(
            f"找不到规划文本：{plan}；请用 --plan 指定规划全文的 UTF-8 文本文件。",
            f"Plan text not found: {plan}; give the plan's UTF-8 text file with --plan.",
        )
    out = args.out if args.out is not None else paths.plan_dir()
    if out.exists() and not out.is_dir():
        raise WzgeoError(
            f"输出位置 {out} 是一个文件；--out 需要一个目录。",
            f"The output location {out} is a file; --out needs a folder.",
        )
    with atomic_folder(out) as tmp:  # every file complete before it replaces the old one
        report = build_data(plan, tmp, sectors_path=args.sectors)
    s = report.summary
    per = ", ".join(f"{k} {v}" for k, v in s["projects_per_sector"].items())
    print(
        f"wrote {out}: {s['projects']} projects ({per}); {s['checks']} checks, "
        f"{s['checks_not_ok']} not ok; {s['corrections']} corrections; {s['flags']} flags "
        "(see quality.md)",
        file=sys.stdout,
    )
    return 0


def _build_siting(args: argparse.Namespace) -> int:
    from wzgeo.analysis import sitingcache

    path = sitingcache.siting_path()
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            _, table = sitingcache.build_siting(Path(tmp) / sitingcache.SITING_FILE)
            fresh = (Path(tmp) / sitingcache.SITING_FILE).read_bytes()
        current = path.read_bytes() if path.is_file() else b""
        if current == fresh:
            print(f"{path} is current ({len(table)} projects)", file=sys.stdout)
            return 0
        print(
            f"{path} 已过期或缺失；请运行 wzgeo build-siting 并提交。\n"
            f"{path} is stale or missing; run `wzgeo build-siting` and commit it.",
            file=sys.stderr,
        )
        return 1
    with atomic_output(path) as tmp:  # the old file stays whole until the new one is written
        _, table = sitingcache.build_siting(tmp)
    placed = table["location_label"].astype("string").value_counts().to_dict()
    print(f"wrote {path}: {len(table)} projects, {placed}", file=sys.stdout)
    return 0
