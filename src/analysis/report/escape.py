"""Text from data files into a draft: escaped here, once, for Markdown, HTML and DOCX alike.

Measure names, focus areas, survey area names and item names come from the kommun's own
files and are untrusted. Every such value becomes inert text at the point it enters Markdown:
table cells through :func:`analysis.report.tables.as_markdown`, sentences through
:func:`md_text`. Escaped text renders as the same characters in the notebook, the HTML draft
(nbconvert) and the Word draft (pandoc), but can no longer open an HTML element, a link, an
image or emphasis.
"""

from __future__ import annotations

import re

__all__ = ["md_text", "md_cell"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# HTML (< > & ") and Markdown syntax that could turn text into an element, a link, an image,
# an autolink (the colon of "http://"), emphasis, code, math, a heading or a table cell. A
# backslash escape is plain Markdown: every renderer shows the character itself, and none
# decodes it twice (HTML entities would be escaped again by a renderer that escapes).
_SPECIAL = re.compile(r"""([\\`*_\[\]{}#!~$<>&"|:])""")


def md_text(value) -> str:
    """A data value as inert Markdown text (one line).

    HTML characters and Markdown syntax are backslash-escaped, line breaks become spaces and
    control characters are dropped.

    Examples
    --------
    >>> print(md_text('<img src=x onerror="alert(1)">'))
    \\<img src=x onerror=\\"alert(1)\\"\\>
    >>> print(md_text("![x](/etc/hostname) och [länk](javascript:alert(1))"))
    \\!\\[x\\](/etc/hostname) och \\[länk\\](javascript\\:alert(1))
    >>> md_text("Rån (inkl. grovt)"), md_text(None)
    ('Rån (inkl. grovt)', '')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _CONTROL.sub("", str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    return _SPECIAL.sub(r"\\\1", text)


def md_cell(value) -> str:
    """A data value for a cell of a Markdown pipe table (``|`` is escaped by :func:`md_text`).

    Examples
    --------
    >>> print(md_cell("A | B"))
    A \\| B
    """
    return md_text(value)
