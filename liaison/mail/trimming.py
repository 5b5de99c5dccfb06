"""Trim quoted history and signatures from a reply; the raw message is kept elsewhere.

What is cut (the usual shapes of the big clients):
* from a quote header ("On Mon, 3 Mar 2026, Ana wrote:", "Le ... a écrit :",
  "-----Original Message-----", an Outlook "From: ... Sent: ..." block, "> " lines
  at the end) to the end;
* from a signature separator ("-- " on its own line, "Sent from my ...") to the end.
Text that a person typed below a quote (inline answers) is kept: only trailing quotes
are removed, and a message that would be empty after trimming is returned untrimmed.
"""

import re

_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{1,300}wrote:\s*$", re.I),
    re.compile(r"^\s*Le .{1,300}a écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am .{1,300}schrieb .{0,100}:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
]
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s.+", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject):\*?\s", re.I)
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*Sent from my \w+", re.I),
    re.compile(r"^\s*Get Outlook for ", re.I),
]


def trim_reply(text):
    lines = (text or "").replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_HEADERS) or any(p.match(line) for p in _SIGNATURE):
            cut = i
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(x) for x in lines[i + 1:i + 4]):
            cut = i
            break
    kept = lines[:cut]
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or (text or "").strip()
