"""Getting a plot file's bytes and text: path or upload, size limit, text encoding."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wzgeo.errors import InputFileError, WzgeoTypeError
from wzgeo.plots._raw import FileContext

__all__ = ["check_source", "decode_text", "load_source"]


def check_source(source: Any, *, filename: str | None, max_bytes: int) -> None:
    """The checks of :func:`load_source` that need no reading: type, existence, size.

    Done by the caller before a file is handed to the reading process, so that a wrong
    argument or an oversized upload is refused without copying it there.

    Raises
    ------
    InputFileError, WzgeoTypeError
        As :func:`load_source`.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > max_bytes:
            raise _too_big(filename or "上传文件/upload", len(source), max_bytes)
        return
    if not isinstance(source, str | os.PathLike):
        load_source(source, filename=filename, max_bytes=max_bytes)  # raises the type error
    path = Path(source)
    if path.is_file() and path.stat().st_size > max_bytes:
        raise _too_big(filename or path.name, path.stat().st_size, max_bytes)


def load_source(
    source: Any, *, filename: str | None, max_bytes: int
) -> tuple[bytes, str, Path | None]:
    """Read the content of a path or take uploaded bytes, refusing files over the limit.

    Parameters
    ----------
    source
        A file path or the file's bytes.
    filename
        The upload's name; defaults to the path's name.
    max_bytes
        Refuse larger files.

    Returns
    -------
    data : bytes
        The file's content.
    name : str
        The file name used in messages.
    path : pathlib.Path or None
        The path, when ``source`` is one.

    Raises
    ------
    InputFileError
        Missing file, a folder, or a file over ``max_bytes``.
    WzgeoTypeError
        ``source`` is neither a path nor bytes.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = filename or "上传文件/upload"
        path = None
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        name = filename or path.name
        if not path.exists():
            raise InputFileError(
                f"找不到文件 {path}，请检查路径。", f"File not found: {path}; check the path."
            )
        if path.is_dir():
            raise InputFileError(
                f"{path} 是文件夹，请选择一个文件（Shapefile 请打包成 zip）。",
                f"{path} is a folder; choose a file (zip a Shapefile with its parts).",
            )
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_big(name, size, max_bytes)
        data = path.read_bytes()
    else:
        raise WzgeoTypeError(
            f"source 必须是文件路径或字节内容，收到 {type(source).__name__}。",
            f"source must be a file path or bytes, got {type(source).__name__}.",
        )
    if len(data) > max_bytes:
        raise _too_big(name, len(data), max_bytes)
    return data, name, path


def _too_big(name: str, size: int, max_bytes: int) -> InputFileError:
    return InputFileError(
        f"文件 {name} 大小 {size / 1e6:.1f} MB，超过上限 {max_bytes / 1e6:.1f} MB。"
        "请只导出需要检查的地块，或压缩后上传。",
        f"File {name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit. "
        "Export only the plots to check, or upload a zipped file.",
    )


def decode_text(data: bytes, ctx: FileContext) -> str:
    """Decode a text file: UTF-16 with a BOM, else UTF-8 (BOM optional), else GBK/GB18030.

    Parameters
    ----------
    data
        The file's content.
    ctx
        Names the file in messages.

    Returns
    -------
    str
        The text.

    Raises
    ------
    InputFileError
        NUL bytes without a UTF-16 BOM, or neither UTF-8 nor GBK (names the first bad line).
    """
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:4096]:
        raise ctx.err(
            "文件含有空字节，不是 UTF-8/GBK 文本（可能是无 BOM 的 UTF-16 或二进制文件）。"
            "请另存为 UTF-8 或 GBK 编码的文本。",
            "the file contains NUL bytes and is not UTF-8/GBK text (UTF-16 without BOM or a "
            "binary file?). Save it as UTF-8 or GBK text.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ctx.err(
            f"无法识别文件编码（第 {line} 行既不是 UTF-8 也不是 GBK）。"
            "请用记事本/WPS 另存为 UTF-8 或 GBK 编码。",
            f"cannot detect the text encoding (line {line} is neither UTF-8 nor GBK). "
            "Save the file as UTF-8 or GBK.",
        ) from e
