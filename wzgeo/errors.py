"""Exceptions raised by wzgeo.

Every error a user can cause carries a Chinese and an English message, each saying what is
wrong and how to fix it. The CLI and the app show ``str(error)`` (both languages) and never a
traceback. Subclasses also derive from ``ValueError`` or ``TypeError`` so generic callers can
catch them the usual way.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataFileError",
    "InputFileError",
    "WzgeoError",
    "WzgeoTypeError",
]


class WzgeoError(ValueError):
    """Base class: a problem with the user's data or request, with a bilingual message.

    Parameters
    ----------
    zh
        What is wrong and how to fix it, in Chinese.
    en
        The same in English.
    """

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh}\n{en}")

    def message(self, lang: str = "zh") -> str:
        """Return the message in one language (``"zh"`` or ``"en"``)."""
        return self.en if lang == "en" else self.zh


class WzgeoTypeError(WzgeoError, TypeError):
    """An argument of the wrong type."""


class DataFileError(WzgeoError):
    """A data file (shipped or user-supplied table) is broken.

    Parameters
    ----------
    path
        The file.
    zh, en
        The problem and the fix.
    row
        1-based data row number (header excluded), if the problem is in one row.
    column
        Column name, if the problem is in one column.
    """

    def __init__(
        self,
        path: object,
        zh: str,
        en: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        where_zh = f"文件 {self.path}"
        where_en = f"file {self.path}"
        if row is not None:
            where_zh += f" 第 {row} 行"
            where_en += f", row {row}"
        if column is not None:
            where_zh += f" 列 '{column}'"
            where_en += f", column '{column}'"
        super().__init__(f"{where_zh}：{zh}", f"{where_en}: {en}")


class InputFileError(WzgeoError):
    """An uploaded or imported geometry file cannot be used as it is."""


class CRSError(WzgeoError):
    """Missing, unknown or unsuitable coordinate reference system."""
