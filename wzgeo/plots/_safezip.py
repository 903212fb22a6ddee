"""Opening uploaded zip archives (zipped Shapefile, KMZ) safely.

Refuses unsafe member paths (absolute, ``../``, drive letters), zip bombs (total expanded
size or compression ratio over the limits below) and members larger than they declare.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

from wzgeo.plots._raw import FileContext

__all__ = [
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
    "member_path",
    "open_zip",
    "read_member",
    "safe_members",
]

MAX_ZIP_UNCOMPRESSED_BYTES = 200_000_000
"""Refuse archives that expand to more than this."""
MAX_ZIP_RATIO = 100.0
"""Refuse archives (over 1 MB expanded) that expand more than this many times."""


def open_zip(data: bytes, ctx: FileContext) -> zipfile.ZipFile:
    """Open ``data`` as a zip archive; a damaged or truncated one is an input error."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as e:
        raise ctx.err(
            "zip 压缩包损坏或未传完整。请重新压缩/上传。",
            "the zip archive is damaged or truncated; re-zip and upload again.",
        ) from e


def member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's path with Windows separators turned into ``/``."""
    return PurePosixPath(info.filename.replace("\\", "/"))


def safe_members(zf: zipfile.ZipFile, ctx: FileContext) -> list[zipfile.ZipInfo]:
    """List the archive's files after checking their paths and total expanded size.

    Parameters
    ----------
    zf
        The open archive.
    ctx
        The file's message context.

    Returns
    -------
    list of zipfile.ZipInfo
        Every member that is not a directory.

    Raises
    ------
    InputFileError
        An unsafe member path, or an archive over :data:`MAX_ZIP_UNCOMPRESSED_BYTES` or
        :data:`MAX_ZIP_RATIO`.
    """
    infos = [i for i in zf.infolist() if not i.is_dir()]
    total = 0
    total_c = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ctx.err(
                f"压缩包内的文件名 {info.filename!r} 含有不安全路径（绝对路径或 ../），已拒绝。"
                "请只打包需要的文件重新压缩。",
                f"archive member {info.filename!r} has an unsafe path (absolute or ../); "
                "refused. Re-zip only the needed files.",
            )
        total += info.file_size
        total_c += info.compress_size
    ratio = total / max(total_c, 1)
    if total > MAX_ZIP_UNCOMPRESSED_BYTES or (total > 1_000_000 and ratio > MAX_ZIP_RATIO):
        raise ctx.err(
            f"压缩包解压后为 {total / 1e6:.0f} MB（压缩比 {ratio:.0f}），超出上限"
            f"（{MAX_ZIP_UNCOMPRESSED_BYTES / 1e6:.0f} MB、压缩比 {MAX_ZIP_RATIO:.0f}），"
            "疑似压缩炸弹，已拒绝。",
            f"the archive expands to {total / 1e6:.0f} MB (ratio {ratio:.0f}), over the limits "
            f"({MAX_ZIP_UNCOMPRESSED_BYTES / 1e6:.0f} MB, ratio {MAX_ZIP_RATIO:.0f}); "
            "refused as a possible zip bomb.",
        )
    return infos


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: FileContext) -> bytes:
    """Extract one member, reading no more than its declared size (plus one byte to check).

    Raises
    ------
    InputFileError
        The member is damaged, encrypted or truncated, or larger than it declares.
    """
    limit = info.file_size
    try:
        with zf.open(info) as fh:
            out = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
        raise ctx.err(
            f"压缩包中的 {info.filename} 无法解压（损坏、加密或不完整）。请重新压缩。",
            f"cannot extract {info.filename} from the archive (damaged, encrypted or "
            "truncated); re-zip it.",
        ) from e
    if len(out) > limit:
        raise ctx.err(
            f"压缩包中的 {info.filename} 实际大小与声明不符，已拒绝。",
            f"{info.filename} in the archive is larger than declared; refused.",
        )
    return out
