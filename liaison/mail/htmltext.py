"""HTML mail → safe plain text.

nh3 (the Rust `ammonia` sanitiser) does the parsing of hostile HTML: it drops every tag
we do not keep and removes the *content* of script, style and similar elements, so no
script survives. We keep only block tags to turn them into line breaks, then strip the
rest and unescape entities. The result is stored as plain text and always rendered
escaped, like any other comment.
"""

import html
import re

import nh3

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol"}
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/pre|/table|/ul|/ol)\b[^>]*>", re.I)
_LI = re.compile(r"<\s*li\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def html_to_text(markup):
    cleaned = nh3.clean(markup or "", tags=_BLOCK, attributes={}, strip_comments=True,
                        clean_content_tags={"script", "style", "head", "title", "noscript", "template"})
    text = _BREAK.sub("\n", cleaned)
    text = _LI.sub("- ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()
