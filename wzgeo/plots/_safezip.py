"""Opening uploaded zip archives (zipped Shapefile, KMZ, Excel .xlsx) and XML safely.

Refuses archives with more members than :attr:`~wzgeo.plots._limits.Limits.max_zip_members`
(counted from the archive's end record, before its directory is read), unsafe member paths
(absolute, ``../``, drive letters), zip bombs (total expanded size or compression ratio over
the limits below) and members larger than they declare. The limits in force are the file
context's (:class:`wzgeo.plots._raw.FileContext`), taken from this module's constants when
:func:`wzgeo.plots.io.read_plots` is called.

XML (KML, the parts of an XLSX) is refused when its prolog declares a DOCTYPE or ENTITY:
entity expansion ("billion laughs") and external entities need one, real files never do.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath

from wzgeo.errors import InputFileError
from wzgeo.plots._raw import FileContext

__all__ = [
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
    "check_xml_head",
    "check_xml_members",
    "member_path",
    "open_zip",
    "read_member",
    "safe_members",
    "short_name",
]

MAX_ZIP_UNCOMPRESSED_BYTES = 200_000_000
"""Refuse archives that expand to more than this."""
MAX_ZIP_RATIO = 100.0
"""Refuse archives (over 1 MB expanded) that expand more than this many times."""


def _declared_members(data: bytes) -> int | None:
    """The member count an archive's end record declares (zip64 too), or None if not found."""
    tail = data[-(65_535 + 22) :]
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) - i < 22:
        return None
    entries: int = struct.unpack_from("<H", tail, i + 10)[0]
    if entries == 0xFFFF:  # zip64: the count is in the zip64 end record
        j = tail.rfind(b"PK\x06\x06", 0, i)
        if j >= 0 and len(tail) - j >= 56:
            entries = struct.unpack_from("<Q", tail, j + 32)[0]
    return entries


def _too_many_members(n: int, ctx: FileContext) -> InputFileError:
    lim = ctx.limits.max_zip_members
    return ctx.err(
        f"压缩包中有 {n:,} 个文件，超过上限 {lim:,} 个，已拒绝。请只打包需要的文件。",
        f"the archive holds {n:,} files, over the limit of {lim:,}; refused. Zip only the "
        "files needed.",
    )


def open_zip(data: bytes, ctx: FileContext) -> zipfile.ZipFile:
    """Open ``data`` as a zip archive; a damaged or truncated one is an input error.

    Raises
    ------
    InputFileError
        A damaged archive, or one with more members than the limit (checked from the end
        record before the directory is read, so a million members cost nothing).
    """
    declared = _declared_members(data)
    if declared is not None and declared > ctx.limits.max_zip_members:
        raise _too_many_members(declared, ctx)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as e:
        raise ctx.err(
            "zip 压缩包损坏或未传完整。请重新压缩/上传。",
            "the zip archive is damaged or truncated; re-zip and upload again.",
        ) from e
    if len(zf.infolist()) > ctx.limits.max_zip_members:
        n = len(zf.infolist())
        zf.close()
        raise _too_many_members(n, ctx)
    return zf


def short_name(name: str, limit: int = 80) -> str:
    """A member name for a message: ``repr`` of at most ``limit`` characters."""
    return repr(name if len(name) <= limit else name[: limit - 3] + "...")


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
        An unsafe member path, or an archive over the expanded-size or ratio limit
        (:data:`MAX_ZIP_UNCOMPRESSED_BYTES`, :data:`MAX_ZIP_RATIO` when read by
        :func:`wzgeo.plots.io.read_plots`).
    """
    infos = [i for i in zf.infolist() if not i.is_dir()]
    total = 0
    total_c = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ctx.err(
                f"压缩包内的文件名 {short_name(info.filename)} 含有不安全路径（绝对路径或 ../），"
                "已拒绝。请只打包需要的文件重新压缩。",
                f"archive member {short_name(info.filename)} has an unsafe path (absolute or "
                "../); refused. Re-zip only the needed files.",
            )
        total += info.file_size
        total_c += info.compress_size
    ratio = total / max(total_c, 1)
    max_bytes, max_ratio = ctx.limits.max_zip_bytes, ctx.limits.max_zip_ratio
    if total > max_bytes or (total > 1_000_000 and ratio > max_ratio):
        raise ctx.err(
            f"压缩包解压后为 {total / 1e6:.0f} MB（压缩比 {ratio:.0f}），超出上限"
            f"（{max_bytes / 1e6:.0f} MB、压缩比 {max_ratio:.0f}），"
            "疑似压缩炸弹，已拒绝。",
            f"the archive expands to {total / 1e6:.0f} MB (ratio {ratio:.0f}), over the limits "
            f"({max_bytes / 1e6:.0f} MB, ratio {max_ratio:.0f}); "
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
            f"压缩包中的 {short_name(info.filename)} 无法解压（损坏、加密或不完整）。请重新压缩。",
            f"cannot extract {short_name(info.filename)} from the archive (damaged, encrypted or "
            "truncated); re-zip it.",
        ) from e
    if len(out) > limit:
        raise ctx.err(
            f"压缩包中的 {short_name(info.filename)} 实际大小与声明不符，已拒绝。",
            f"{short_name(info.filename)} in the archive is larger than declared; refused.",
        )
    return out


_XML_ROOT = re.compile(r"<[A-Za-z_]")
_XML_DECLS = re.compile(r"<!DOCTYPE|<!ENTITY", re.I)
_XML_HEAD_MAX = 65_536
_XML_SUFFIXES = (".xml", ".rels", ".vml", ".kml")


def check_xml_head(
    read: Callable[[int], bytes], ctx: FileContext, *, what_zh: str, what_en: str
) -> None:
    """Refuse XML whose prolog (the text before the root element) holds DOCTYPE or ENTITY.

    Parameters
    ----------
    read
        Reads up to n more bytes of the XML (``file.read``); only the prolog is read.
    ctx
        The file's message context.
    what_zh, what_en
        What the XML is, for the message (the file, or a member of the archive).

    Raises
    ------
    InputFileError
        A DOCTYPE/ENTITY declaration, or a prolog longer than 64 KB (real files have a few
        lines before the root element).
    """
    head = b""
    while True:
        chunk = read(16_384)
        head += chunk
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:64]:
            text = head.decode("utf-16", errors="ignore")
        else:
            text = head.decode("latin-1")
        root = _XML_ROOT.search(text)
        prolog = text[: root.start()] if root else text
        if _XML_DECLS.search(prolog):
            raise ctx.err(
                f"{what_zh}含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝读取。请从原软件重新导出。",
                f"{what_en} contains a DOCTYPE/ENTITY declaration and is refused for safety; "
                "export it again from the original software.",
            )
        if root is not None or not chunk:
            return
        if len(head) > _XML_HEAD_MAX:
            raise ctx.err(
                f"{what_zh}的 XML 开头超过 64 KB 仍没有根元素，不像正常文件，已拒绝。",
                f"{what_en} has no XML root element in its first 64 KB; refused as not a normal "
                "file.",
            )


def check_xml_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], ctx: FileContext) -> None:
    """:func:`check_xml_head` for every XML member of an archive (``.xml``, ``.rels``, ...)."""
    for info in infos:
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        try:
            with zf.open(info) as fh:
                check_xml_head(
                    fh.read,
                    ctx,
                    what_zh=f"压缩包中的 {short_name(info.filename)} ",
                    what_en=f"archive member {short_name(info.filename)}",
                )
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
            raise ctx.err(
                f"压缩包中的 {short_name(info.filename)} 无法解压（损坏、加密或不完整）。"
                "请重新压缩。",
                f"cannot extract {short_name(info.filename)} from the archive (damaged, "
                "encrypted or truncated); re-zip it.",
            ) from e
