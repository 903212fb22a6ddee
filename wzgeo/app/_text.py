"""Text from files and users shown as text: Markdown and Streamlit directives escaped.

Streamlit renders the text of ``st.markdown``, ``st.caption``, the alerts (``st.info``,
``st.warning``, ``st.error``, ``st.success``) and widget labels as Markdown: a plot id such as
``X1![m](http://host/x.png)`` would make every viewer's browser fetch that image, a reason with
a link would show a link. :func:`plain` backslash-escapes the characters that start Markdown
constructs (CommonMark shows an escaped character as itself): brackets (links, images and
Streamlit's ``:red[...]``), ``<`` (raw HTML, autolinks), emphasis and code marks, ``$``
(LaTeX), ``#`` and ``|`` (headings, tables) and ``&`` (entities). Other punctuation stays as
it is, so messages read the same; line breaks are kept.

Bare URLs need more: Streamlit's renderer (remark-gfm) turns ``http://…``, ``www.…`` and
e-mail addresses into links *after* escapes are resolved, so a backslash does not stop it
(the browser test in ``tests/app/test_saved_work_hardening.py`` shows it). An invisible WORD
JOINER (U+2060) is put inside ``://``, after ``www`` and before ``@``: the text looks the same
and is no longer a link.
"""

from __future__ import annotations

import re

__all__ = ["WORD_JOINER", "plain"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#&])")
#: where remark-gfm finds a bare link: ``scheme://``, ``www.`` and ``name@domain``
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` as Markdown that shows exactly these characters (no formatting, links, images).

    Parameters
    ----------
    text
        Anything; ``str()`` is taken.

    Returns
    -------
    str
        The text with Markdown punctuation backslash-escaped and bare links broken by an
        invisible word joiner.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(WORD_JOINER, escaped)
