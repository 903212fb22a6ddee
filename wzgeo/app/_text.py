"""Text from files and users shown as text: Markdown and Streamlit directives escaped.

Streamlit renders the text of ``st.markdown``, ``st.caption``, the alerts (``st.info``,
``st.warning``, ``st.error``, ``st.success``) and widget labels as Markdown: a plot id such as
``X1![m](http://host/x.png)`` would make every viewer's browser fetch that image, a reason with
a link would show a link. :func:`plain` backslash-escapes the characters that start Markdown
constructs (CommonMark shows an escaped character as itself): brackets (links, images and
Streamlit's ``:red[...]``), ``<`` (raw HTML, autolinks), emphasis and code marks, ``$``
(LaTeX), ``#`` and ``|`` (headings, tables), ``&`` (entities) and the ``:`` of ``://`` and the
``.`` of ``www.`` (bare-URL autolinks). Other punctuation stays as it is, so messages read
the same; line breaks are kept.
"""

from __future__ import annotations

import re

__all__ = ["plain"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#&])")
_AUTOLINK = re.compile(r"(?i)(:)(//)|\b(www)(\.)")


def plain(text: object) -> str:
    """``text`` as Markdown that shows exactly these characters (no formatting, links, images).

    Parameters
    ----------
    text
        Anything; ``str()`` is taken.

    Returns
    -------
    str
        The text with Markdown punctuation backslash-escaped.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(lambda m: "\\://" if m.group(1) else f"{m.group(3)}\\.", escaped)
