"""Turn raw RFC 5322 bytes into a ParsedMessage: never raises on bad mail, only on bugs.

The parser — chosen by measurement
==================================
stdlib ``email`` with ``policy.default`` parses ~420 msg/s here (its header registry is
the cost), far too slow for a 700 msg/s ingest. ``compat32`` with explicit decoding of
the parts we use parses ~4,000 msg/s; fast-mail-parser (Rust) ~100,000 msg/s, but it
collapses the structure we need for loop detection (multipart/report, per-part
charsets) into a few lists and its failures surface as Rust panics. With the database
work at ~1 ms per message, compat32 costs a quarter of a millisecond: we take the
stdlib, which is the parser every MTA quirk has already been thrown at, and fuzz it
(tests/mail/test_fuzz.py). bench/mail_ingest.py prints the parser's own rate.

Everything here is defensive: headers are decoded with ``errors="replace"``, unknown
charsets fall back to UTF-8 then Latin-1, and a part that cannot be decoded is kept as
an attachment rather than failing the message.
"""

import contextlib
import email
import email.utils
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header

from .htmltext import html_to_text

_MSGID = re.compile(r"<([^<>\s]{1,500})>")

# What real mailers put before the first header: blank lines (CRLF or LF), spaces and tabs
# (a broken gateway, a script's `echo`), and an mbox "From " line (Postfix's pipe F flag).
_LEADING_SPACE = re.compile(rb"\A[ \t\r\n]+")
_UNIX_FROM = re.compile(rb"\AFrom [^\r\n]*\r?\n")
# A header field: a name of printable ASCII without ":", then ":" (RFC 5322 obs-syntax
# allows blanks before the colon).
_FIRST_HEADER = re.compile(rb"\A[!-9;-~]{1,200}[ \t]*:")


def message_start(raw):
    """`raw` from its first header on: leading blank lines and whitespace dropped.

    Every door and the content hash read the message through this, so the same bytes
    reach the same outcome whichever door they came in by."""
    return _LEADING_SPACE.sub(b"", raw, count=1)


def not_a_message(raw):
    """Why `raw` is not a mail message at all ('' if it is one): nothing but blanks, or no
    header field before the first blank line. The only reason any door refuses content."""
    start = message_start(raw)
    if not start:
        return "not an RFC 5322 message: it is empty"
    start = _UNIX_FROM.sub(b"", start, count=1)
    if not _FIRST_HEADER.match(start):
        return "not an RFC 5322 message: no header field before the body"
    return ""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list = field(default_factory=list)
    references: list = field(default_factory=list)
    from_addr: str = ""
    from_name: str = ""
    recipients: list = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To: lower-case addresses
    header_recipients: list = field(default_factory=list)  # To and Cc only: the same in every delivered copy
    reply_to: list = field(default_factory=list)  # Reply-To addresses, lower-case
    subject: str = ""
    date: str = ""
    text: str = ""
    html_only: bool = False
    attachments: list = field(default_factory=list)
    # Loop and bounce signals
    auto_submitted: str = ""
    precedence: str = ""
    x_loop: list = field(default_factory=list)
    is_report: bool = False
    return_path: str | None = None  # None: no header; "": the null path <>
    list_id: str = ""
    autoreply_headers: list = field(default_factory=list)
    authentication_results: list = field(default_factory=list)
    defects: int = 0

    @property
    def thread_ids(self):
        """Every message id this one answers, most direct first."""
        seen, out = set(), []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
        return out


def decode_header_value(value):
    """A header as text: RFC 2047 words decoded, raw 8-bit bytes read as UTF-8 (or replaced)."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):  # compat32 wraps raw 8-bit header bytes this way
        value = _decode_parts(decode_header(value))
    value = str(value)
    if "=?" in value:
        with contextlib.suppress(Exception):  # a malformed encoded word: keep it as it came
            value = str(make_header(decode_header(value)))
    # compat32 hands 8-bit header bytes over as surrogate escapes
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")
    return " ".join(value.split())


def _decode_bytes(data, charset):
    for candidate in (charset, "utf-8"):
        if candidate and candidate != "unknown-8bit":
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return data.decode("latin-1")


def _decode_parts(parts):
    return "".join(_decode_bytes(data, charset) if isinstance(data, bytes) else data for data, charset in parts)


def message_ids(value):
    return [m.lower() for m in _MSGID.findall(decode_header_value(value))][:100]


_SIMPLE_ADDRESS = re.compile(r'^\s*(?:"?([^"<>,;:@]*?)"?\s*)?<?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+)>?\s*$')


def _parseaddr(value):
    """(name, address): a regex for the plain forms every client sends, the stdlib for the rest."""
    m = _SIMPLE_ADDRESS.match(value)
    if m:
        return (m.group(1) or "").strip(), m.group(2)
    return email.utils.parseaddr(value)


def _addresses(values):
    out = []
    decoded = [decode_header_value(v) for v in values if v]
    simple = [_SIMPLE_ADDRESS.match(v) for v in decoded]
    pairs = [(m.group(1), m.group(2)) for m in simple] if all(simple) else email.utils.getaddresses(decoded)
    for _name, addr in pairs:
        addr = addr.strip().lower()
        if "@" in addr and len(addr) <= 254:
            out.append(addr)
    return out


def decode_payload(part):
    """The text of a text/* part in its declared charset; falls back rather than fails."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = (part.get_content_charset() or "utf-8").strip().lower()
    for candidate in (charset, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


def _filename(part):
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return decode_header_value(name)[:255] if name else ""


def parse(raw):
    """Parse `raw` (bytes) into a ParsedMessage. Bad MIME never raises; it degrades."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = email.message_from_bytes(message_start(raw), policy=policy.compat32)
    p = ParsedMessage()
    p.defects = len(msg.defects)
    p.message_id = (message_ids(msg.get("Message-ID")) or [""])[0]
    p.in_reply_to = message_ids(msg.get("In-Reply-To"))
    p.references = message_ids(" ".join(str(v) for v in msg.get_all("References", [])))
    from_name, from_addr = _parseaddr(decode_header_value(msg.get("From")))
    p.from_addr = from_addr.strip().lower() if "@" in from_addr else ""
    p.from_name = from_name[:200]
    p.header_recipients = _addresses([*msg.get_all("To", []), *msg.get_all("Cc", [])])
    delivered = [*msg.get_all("Delivered-To", []), *msg.get_all("X-Original-To", []), *msg.get_all("Envelope-To", [])]
    p.recipients = p.header_recipients + _addresses(delivered)
    p.reply_to = _addresses(msg.get_all("Reply-To", []))
    p.subject = decode_header_value(msg.get("Subject"))[:998]
    p.date = decode_header_value(msg.get("Date"))[:100]
    p.auto_submitted = decode_header_value(msg.get("Auto-Submitted")).lower()
    p.precedence = decode_header_value(msg.get("Precedence")).lower()
    p.x_loop = [decode_header_value(v).lower() for v in msg.get_all("X-Loop", [])]
    p.list_id = decode_header_value(msg.get("List-Id"))
    p.autoreply_headers = [h for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
                           if msg.get(h) is not None]
    p.authentication_results = [decode_header_value(v) for v in msg.get_all("Authentication-Results", [])]
    if msg.get("Return-Path") is not None:
        p.return_path = _parseaddr(decode_header_value(msg.get("Return-Path")))[1]
    p.is_report = msg.get_content_type() in ("multipart/report", "message/delivery-status")

    plain, html = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = str(part.get("Content-Disposition", "")).lower()
        name = _filename(part)
        if ctype == "message/delivery-status":
            p.is_report = True
        if ctype in ("text/plain", "text/html") and not name and "attachment" not in disposition:
            (plain if ctype == "text/plain" else html).append(decode_payload(part))
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if data is None:
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        p.attachments.append(Attachment(name=name or f"part-{len(p.attachments) + 1}",
                                        content_type=ctype[:100], data=data))
    if plain:
        p.text = "\n".join(plain)
    elif html:
        p.text = html_to_text("\n".join(html))
        p.html_only = True
    p.text = p.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return p
