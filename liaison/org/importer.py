"""Org-chart import from CSV: check every row, report every error, then write it all at once.

The contract (the web page, the `liaison import-org` command and the demo call it):

    import_org_csv(stream, *, progress=None) -> ImportReport      raises OrgImportError

Columns (header row, any order, names case- and space-insensitive: "Manager Email" is
manager_email): email*, name*, team*, title, site, time_zone, parent_team,
manager_email, is_lead, gender, seniority_band (* required).

What a row means — the file speaks about the people and teams it lists:
- People are matched on email, lower-cased. A new email creates a person with an
  unusable password (they set one by mail, or SSO signs them in).
- name, title, site, manager_email: the row is the truth (blank title = no title,
  blank manager_email = no manager). A column missing from the header leaves that
  field as it is. A blank time_zone keeps the person's time zone (UTC for a new one).
- team: created if new (so is a parent_team named nowhere else); the person becomes a
  member. Memberships are only ever added: a person who moved keeps the old team until
  someone removes it in the app (nothing is lost by an import).
- parent_team: the team's parent; blank says nothing (the parent stays). Every row of
  a team must agree on it.
- is_lead: yes/no/true/false/1/0, blank = no. The marked person leads their team; a
  team whose current lead is listed in it and not marked loses that lead.
- gender, seniority_band: sensitive attributes, written only when the column exists.

Everything is validated before anything is written (OrgImportError carries every
error with its line and column); the writes happen in one transaction. Unchanged rows
are not written at all, so re-importing the same file changes nothing.

Speed: 50,000 people in a few seconds on SQLite. The existing directory is read once
into dicts, new people go in with multi-row INSERTs (managers first, level by level, so that
every manager has a primary key before their reports are inserted; see _insert for why
not bulk_create), teams with bulk_create, changes with bulk_update, and no query runs
per row.
"""

import csv
import functools
import io
import secrets
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from .cache import clear_named_caches
from .models import Membership, Person, SensitiveAttributes, Team

COLUMNS = ("email", "name", "team", "title", "site", "time_zone", "parent_team", "manager_email",
           "is_lead", "gender", "seniority_band")
REQUIRED = ("email", "name", "team")
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
BATCH_SIZE = 1000


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file; the header is row 1
    column: str
    message: str

    def __str__(self):
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}: {self.message}"


class OrgImportError(Exception):
    """The file has errors; nothing was written. `.errors` lists every one of them."""

    def __init__(self, errors):
        self.errors = sorted(errors, key=lambda e: (e.row, _column_order(e.column), e.message))
        count = len(self.errors)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the org chart, nothing was imported; "
                         f"first: {self.errors[0] if self.errors else '-'}")


@dataclass
class ImportReport:
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    teams_created: int = 0
    teams_updated: int = 0

    @property
    def people(self):
        return self.people_created + self.people_updated + self.people_unchanged

    def summary(self):
        return (f"{self.people:,} people: {self.people_created:,} created, {self.people_updated:,} updated, "
                f"{self.people_unchanged:,} unchanged; teams: {self.teams_created:,} created, "
                f"{self.teams_updated:,} updated.")


def _column_order(column):
    return COLUMNS.index(column) if column in COLUMNS else len(COLUMNS)


def _max_length(model, name):
    return model._meta.get_field(name).max_length


def _clean_text(value):
    return " ".join((value or "").split())


def _key(name):
    """Team names match ignoring case and repeated spaces: "network  group" is "Network Group"."""
    return _clean_text(name).casefold()


def _unusable_password():
    # What make_password(None) returns, minus get_random_string's per-character cost
    # (2 s for 50,000 people): a marker prefix and random characters.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(UNUSABLE_PASSWORD_SUFFIX_LENGTH)[
        :UNUSABLE_PASSWORD_SUFFIX_LENGTH]


_email_user = EmailValidator.user_regex


@functools.lru_cache(maxsize=4096)
def _valid_domain(domain):
    try:
        validate_email(f"x@{domain}")
    except ValidationError:
        return False
    return True


def _valid_email(value):
    """Django's validate_email, with the domain check cached: a file has few domains and many people."""
    user, at, domain = value.rpartition("@")
    return bool(at and user and len(value) <= 320 and _email_user.match(user) and _valid_domain(domain))


def _choice_map(choices):
    """Accept a choice's value or its label, in any case: "Woman", "woman", "prefer not to say"."""
    mapping = {}
    for value, label in choices:
        mapping[value.casefold()] = value
        mapping[str(label).casefold()] = value
    return mapping


@dataclass(slots=True)
class _Row:
    line: int
    email: str
    name: str
    team: str
    team_key: str
    title: str = ""
    site: str = ""
    time_zone: str = ""
    parent_team: str = ""
    parent_key: str = ""
    manager_email: str = ""
    is_lead: bool = False
    gender: str = ""
    seniority_band: str = ""


@dataclass
class _Parsed:
    columns: set
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------

def _read_text(stream):
    """The whole file as text: accepts str, bytes, a text file or a binary file (UTF-8)."""
    data = stream.read() if hasattr(stream, "read") else stream
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise OrgImportError([RowError(line, "", "the file is not UTF-8 text; save it as “CSV UTF-8”.")]) from exc
    return data.removeprefix("\ufeff")


class _Spreadsheet(csv.excel):
    """What Excel, LibreOffice and Google Sheets write: RFC 4180 quoting, a doubled quote inside
    a quoted field, and the delimiter of the user's locale (a comma, or a semicolon where the
    comma is the decimal sign)."""


def _dialect(text):
    """The file's dialect: standard quoting, and the delimiter the header row uses most.

    csv.Sniffer is not used: sniffing a header that has no quotes concludes
    `doublequote=False`, and a later `"a ""b"" c"` field then splits into extra columns.
    The header alone decides the delimiter: it holds only column names, which never
    contain a comma, a semicolon or a tab. Excel's optional first line `sep=;` is honoured.
    """
    first_line = text.split("\n", 1)[0].rstrip("\r")
    dialect = type("Dialect", (_Spreadsheet,), {})
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        dialect.delimiter = first_line[4]
        return dialect, True
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    dialect.delimiter = best if counts[best] else ","
    return dialect, False


def _parse(text):
    dialect, sep_line = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        if sep_line:
            next(reader)
        header = next(reader, None)
    except csv.Error as exc:
        raise OrgImportError([RowError(1, "", f"the header row cannot be read: {exc}")]) from exc
    if not header or not any(cell.strip() for cell in header):
        raise OrgImportError([RowError(1, "", "the file is empty: the first row must name the columns "
                                              f"({', '.join(COLUMNS)}).")])
    # "Manager Email", "manager-email", "MANAGER_EMAIL" and "manageremail" all name manager_email.
    canonical = {column.replace("_", ""): column for column in COLUMNS}
    squeezed = ["".join(ch for ch in cell.lower() if ch.isalnum()) for cell in header]
    names = [canonical.get(name, name) for name in squeezed]
    errors = []
    for index, name in enumerate(names):
        if name and name not in COLUMNS:
            errors.append(RowError(1, header[index].strip(), f"unknown column; the columns are {', '.join(COLUMNS)}."))
        elif name and names.index(name) != index:
            errors.append(RowError(1, name, "this column appears twice."))
    for name in REQUIRED:
        if name not in names:
            errors.append(RowError(1, name, "required column is missing."))
    if errors:
        raise OrgImportError(errors)

    parsed = _Parsed(columns={n for n in names if n})
    check = _RowChecker(parsed)
    line = reader.line_num
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(names) and any(cell.strip() for cell in record[len(names):]):
                parsed.errors.append(RowError(start, "", f"{len(record)} values for {len(names)} columns "
                                                         "(a comma inside a value needs quotes)."))
                continue
            values = {name: (record[i] if i < len(record) else "") for i, name in enumerate(names) if name}
            check(start, values)
    except csv.Error as exc:
        parsed.errors.append(RowError(line + 1, "", f"the file cannot be read from here on: {exc}"))
    return parsed


class _RowChecker:
    """Checks one row's own values; checks across rows and against the database come later."""

    def __init__(self, parsed):
        self.parsed = parsed
        self.time_zones = {tz.casefold(): tz for tz in zoneinfo.available_timezones()}
        self.genders = _choice_map(SensitiveAttributes.Gender.choices)
        self.seniorities = _choice_map(SensitiveAttributes.Seniority.choices)
        self.limits = {
            "name": _max_length(Person, "name"), "title": _max_length(Person, "title"),
            "site": _max_length(Person, "site"), "team": _max_length(Team, "name"),
            "parent_team": _max_length(Team, "name"), "email": _max_length(Person, "email"),
            "manager_email": _max_length(Person, "email"),
        }

    def __call__(self, line, values):
        errors = []

        def error(column, message):
            errors.append(RowError(line, column, message))

        cleaned = {name: _clean_text(value) for name, value in values.items()}
        for name in REQUIRED:
            if not cleaned[name]:
                error(name, "a value is required.")
        for name, limit in self.limits.items():
            if len(cleaned.get(name, "")) > limit:
                error(name, f"too long ({len(cleaned[name])} characters; at most {limit}).")
        email = cleaned["email"].lower()
        manager = cleaned.get("manager_email", "").lower()
        for name, value in (("email", email), ("manager_email", manager)):
            if value and not _valid_email(value):
                error(name, f"“{value}” is not a valid email address.")
        if manager and manager == email:
            error("manager_email", "a person cannot be their own manager.")
        time_zone = cleaned.get("time_zone", "")
        if time_zone:
            canonical = self.time_zones.get(time_zone.casefold())
            if canonical is None:
                error("time_zone", f"“{time_zone}” is not a known time zone (e.g. Europe/Paris, UTC).")
            time_zone = canonical or ""
        is_lead = cleaned.get("is_lead", "").lower()
        if is_lead not in TRUE_WORDS and is_lead not in FALSE_WORDS:
            error("is_lead", f"“{cleaned['is_lead']}” is not yes/no (also true/false, 1/0, or blank).")
        choices = {}
        for name, mapping in (("gender", self.genders), ("seniority_band", self.seniorities)):
            raw = cleaned.get(name, "")
            choices[name] = mapping.get(raw.casefold(), "") if raw else ""
            if raw and not choices[name]:
                allowed = ", ".join(sorted(set(mapping.values())))
                error(name, f"“{raw}” is not one of: {allowed} (or blank).")
        if cleaned.get("parent_team") and _key(cleaned["parent_team"]) == _key(cleaned["team"]):
            error("parent_team", "a team cannot be its own parent.")
        if errors:
            self.parsed.errors.extend(errors)
            return
        self.parsed.rows.append(_Row(
            line=line, email=email, name=cleaned["name"], team=cleaned["team"], team_key=_key(cleaned["team"]),
            title=cleaned.get("title", ""), site=cleaned.get("site", ""), time_zone=time_zone,
            parent_team=cleaned.get("parent_team", ""), parent_key=_key(cleaned.get("parent_team", "")),
            manager_email=manager, is_lead=is_lead in TRUE_WORDS,
            gender=choices["gender"], seniority_band=choices["seniority_band"],
        ))


# --- the directory as it is ----------------------------------------------------------

@dataclass
class _Directory:
    """The existing rows the import compares against, read once."""

    people: dict  # email -> dict of fields (id, name, title, site, time_zone, manager_id)
    email_of: dict  # person id -> email
    teams: dict  # team key -> dict(id, name, parent_id, lead_id)
    team_key_of: dict  # team id -> key
    slugs: set
    memberships: set  # (person_id, team_id)
    sensitive: dict  # person_id -> (gender, seniority_band)

    @classmethod
    def load(cls):
        people, email_of = {}, {}
        for pk, email, name, title, site, tz, manager_id in Person.objects.values_list(
                "id", "email", "name", "title", "site", "time_zone", "manager_id").order_by():
            email = email.lower()
            people[email] = {"id": pk, "name": name, "title": title, "site": site, "time_zone": tz,
                             "manager_id": manager_id}
            email_of[pk] = email
        teams, key_of, slugs = {}, {}, set()
        for pk, name, slug, parent_id, lead_id in Team.objects.values_list(
                "id", "name", "slug", "parent_id", "lead_id").order_by("id"):
            key_of[pk] = _key(name)
            teams.setdefault(_key(name), {"id": pk, "name": name, "parent_id": parent_id, "lead_id": lead_id})
            slugs.add(slug)
        memberships = set(Membership.objects.values_list("person_id", "team_id").order_by())
        sensitive = {pk: (g, s) for pk, g, s in SensitiveAttributes.objects.values_list(
            "person_id", "gender", "seniority_band").order_by()}
        return cls(people, email_of, teams, key_of, slugs, memberships, sensitive)


# --- checks across rows ----------------------------------------------------------------

def _check_across_rows(parsed, directory):
    rows, errors, columns = parsed.rows, parsed.errors, parsed.columns
    first_line, by_email = {}, {}
    for row in rows:
        if row.email in first_line:
            errors.append(RowError(row.line, "email", f"{row.email} is already on row {first_line[row.email]}."))
        else:
            first_line[row.email] = row.line
            by_email[row.email] = row

    for row in rows:
        if row.manager_email and row.manager_email not in by_email and row.manager_email not in directory.people:
            errors.append(RowError(row.line, "manager_email",
                                   f"{row.manager_email} is neither in this file nor in the directory."))

    parents, lead_line = {}, {}
    for row in rows:
        if row.parent_key:
            stated = parents.setdefault(row.team_key, (row.parent_key, row.parent_team, row.line))
            if stated[0] != row.parent_key:
                errors.append(RowError(row.line, "parent_team", f"team “{row.team}” has parent “{stated[1]}” on "
                                                                f"row {stated[2]} and “{row.parent_team}” here."))
        if row.is_lead:
            first = lead_line.setdefault(row.team_key, (row.email, row.line))
            if first[0] != row.email:
                errors.append(RowError(row.line, "is_lead", f"team “{row.team}” already has a lead on row "
                                                            f"{first[1]} ({first[0]})."))

    # Team parents as they will be: the file's statements over the directory's tree.
    effective = {}
    for key, team in directory.teams.items():
        if team["parent_id"] is not None:
            effective[key] = directory.team_key_of.get(team["parent_id"])
    effective.update({key: stated[0] for key, stated in parents.items()})
    for cycle in _cycles(effective, start=parents):
        stated = [key for key in cycle if key in parents]
        if not stated:
            continue  # a loop already in the database, not made by this file
        first = min(stated, key=lambda key: parents[key][2])
        names = [_display_team(key, rows, directory) for key in [*cycle, cycle[0]]]
        errors.append(RowError(parents[first][2], "parent_team", "the team tree would loop: " + " → ".join(names)))

    # Managers as they will be, to refuse loops (A manages B manages A).
    if "manager_email" in columns:
        managers = {email: directory.email_of.get(p["manager_id"]) for email, p in directory.people.items()
                    if p["manager_id"] is not None}
        managers.update({row.email: row.manager_email or None for row in by_email.values()})
        for cycle in _cycles(managers, start=by_email):
            in_file = [by_email[email] for email in cycle if email in by_email]
            if len(cycle) < 2 or not in_file:
                continue  # own manager: reported on the row; a loop only in the database: not this file's
            first = min(in_file, key=lambda r: r.line)
            errors.append(RowError(first.line, "manager_email",
                                   "managers would loop: " + " → ".join([*cycle, cycle[0]])))
    return by_email, parents


def _cycles(parent_of, start):
    """Each loop reachable from the `start` nodes by following parent_of, once."""
    state, found = {}, []  # 1 = on the current path, 2 = done
    for origin in start:
        path, node = [], origin
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1:
            found.append(path[path.index(node):])
        for visited in path:
            state[visited] = 2
    return found


def _display_team(key, rows, directory):
    for row in rows:
        if row.team_key == key:
            return row.team
        if row.parent_key == key:
            return row.parent_team
    return directory.teams.get(key, {}).get("name", key)


# --- writing -----------------------------------------------------------------------------

def import_org_csv(stream, *, progress=None):
    """Import an org chart; all or nothing. Returns an ImportReport, raises OrgImportError."""
    parsed = _parse(_read_text(stream))
    directory = _Directory.load()
    by_email, parents = _check_across_rows(parsed, directory)
    if parsed.errors:
        raise OrgImportError(parsed.errors)
    report = ImportReport()
    tick = _Progress(progress, len(by_email))
    with transaction.atomic():
        # People first: a team's lead must exist before the team is written with it.
        now = timezone.now()
        person_ids, changed = _write_people(by_email, parsed.columns, directory, report, tick, now)
        team_ids = _write_teams(parsed.rows, by_email, parents, parsed.columns, directory, person_ids, report, now)
        changed |= _write_memberships(by_email, directory, person_ids, team_ids, now)
        changed |= _write_sensitive(by_email, parsed.columns, directory, person_ids)
    # The rows went in as raw INSERTs (no signals): this process forgets what it cached of
    # the directory now; other processes see the directory version move (org.cache).
    clear_named_caches()
    changed -= {email for email in by_email if email not in directory.people}  # new people count as created
    report.people_updated = len(changed)
    report.people_unchanged = len(by_email) - report.people_created - report.people_updated
    tick.done()
    return report


class _Progress:
    """Calls progress(done, total) at the start, after each batch of people written, and at the end."""

    def __init__(self, callback, total):
        self.callback, self.total, self.count, self.reported = callback, total, 0, 0
        self._call(0)

    def _call(self, done):
        if self.callback is not None:
            self.callback(done, self.total)

    def add(self, n):
        """`n` more people done (at most a batch of BATCH_SIZE, so reports are at most that far apart)."""
        self.count += n
        if n and self.count < self.total:
            self.reported = self.count
            self._call(self.count)

    def done(self):
        if self.reported != self.total:
            self.reported = self.total
            self._call(self.total)


def _ids_of(objects, model, field_name, key_of):
    """key -> pk of freshly bulk-created objects (read back when the database does not return them)."""
    if all(obj.pk is not None for obj in objects):
        return {key_of[getattr(obj, field_name)]: obj.pk for obj in objects}
    values = [getattr(obj, field_name) for obj in objects]
    ids = {}
    for start in range(0, len(values), BATCH_SIZE):
        chunk = values[start:start + BATCH_SIZE]
        for value, pk in model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "pk"):
            ids[key_of[value]] = pk
    return ids


def _insert(model, columns, rows, **constants):
    """INSERT `rows` (tuples of DB-ready values for `columns`), many rows per statement.

    bulk_create spends ~100 µs of Python per row preparing every value of every field;
    for 50,000 people, their memberships and attributes that was 80 % of an import. Here
    the varying values are plain strings and integers that need no preparing, and every
    other concrete field (including fields added later) gets its default (or the given
    constant), prepared once per import. Multi-row VALUES rather than executemany: with
    Django's client-side binding on PostgreSQL, executemany is a round trip per row.
    """
    if not rows:
        return
    fields = {f.attname: f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in columns)}
    extra = [name for name in fields if name not in columns]
    fixed = tuple(fields[name].get_db_prep_save(constants[name] if name in constants else fields[name].get_default(),
                                                connection) for name in extra)
    quote = connection.ops.quote_name
    names = ", ".join(quote(fields[name].column) for name in (*columns, *extra))
    one = "(" + ", ".join(["%s"] * (len(columns) + len(extra))) + ")"
    size = max(1, min(BATCH_SIZE, connection.ops.bulk_batch_size(list(fields.values()), rows)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
            params = [value for row in batch for value in (*row, *fixed)]
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "
                           + ", ".join([one] * len(batch)), params)


def _ids_by(model, field_name, values):
    """{value: pk} for rows just inserted, read back in batches."""
    ids = {}
    for start in range(0, len(values), BATCH_SIZE):
        chunk = values[start:start + BATCH_SIZE]
        ids.update(model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "pk").order_by())
    return ids


def _levels(items, parent_of):
    """`items` (keys) in levels: each item's parent (if among `items`) sits in an earlier level."""
    wanted, depth = set(items), {}
    for item in items:
        chain, node = [], item
        while node is not None and node in wanted and node not in depth:
            chain.append(node)
            node = parent_of(node)
        base = depth.get(node, -1) if node in wanted else -1
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = base + offset
    levels = defaultdict(list)
    for item in items:
        levels[depth[item]].append(item)
    return [levels[d] for d in sorted(levels)]


def _write_people(by_email, columns, directory, report, tick, now):
    """Create new people (managers before their reports) and update changed ones.

    Returns ({email: person id} for everyone known, {emails of existing people that changed}).
    """
    person_ids = {email: p["id"] for email, p in directory.people.items()}
    new = [email for email in by_email if email not in directory.people]
    for level in _levels(new, lambda email: by_email[email].manager_email or None):
        for start in range(0, len(level), BATCH_SIZE):
            batch = level[start:start + BATCH_SIZE]
            rows = []
            for email in batch:
                row = by_email[email]
                rows.append((email, row.name, row.title, row.site, row.time_zone or "UTC", _unusable_password(),
                             person_ids.get(row.manager_email) if row.manager_email else None))
            _insert(Person, ("email", "name", "title", "site", "time_zone", "password", "manager_id"), rows,
                    date_joined=now)
            person_ids.update(_ids_by(Person, "email", batch))
            tick.add(len(batch))
    report.people_created = len(new)

    fields = [name for name in ("name", "title", "site", "time_zone") if name in columns]
    if "manager_email" in columns:
        fields.append("manager_id")
    changed, changed_fields, changed_emails = [], set(), set()
    for email, row in by_email.items():
        current = directory.people.get(email)
        if current is None:
            continue
        wanted = {"name": row.name, "title": row.title, "site": row.site,
                  "time_zone": row.time_zone or current["time_zone"],
                  "manager_id": person_ids.get(row.manager_email) if row.manager_email else None}
        differs = [name for name in fields if wanted[name] != current[name]]
        if differs:
            changed_fields.update(differs)
            changed_emails.add(email)
            # Fields outside the file's columns keep their current value in the update.
            values = {name: (wanted[name] if name in fields else current[name]) for name in wanted}
            changed.append(Person(id=current["id"], **values))
    for start in range(0, len(changed), BATCH_SIZE):
        batch = changed[start:start + BATCH_SIZE]
        Person.objects.bulk_update(batch, sorted(changed_fields))
        tick.add(len(batch))
    tick.add(len(by_email) - tick.count)  # the unchanged
    return person_ids, changed_emails


def _write_teams(rows, by_email, parents, columns, directory, person_ids, report, now):
    """Create new teams (parents first) and set parents and leads; returns {team key: id}."""
    names = {}
    for row in rows:
        names.setdefault(row.team_key, row.team)
        if row.parent_key:
            names.setdefault(row.parent_key, row.parent_team)
    parent_of = {key: stated[0] for key, stated in parents.items()}
    lead_of, listed = {}, defaultdict(dict)  # team key -> lead's person id; team key -> {person id: row}
    if "is_lead" in columns:
        for email, row in by_email.items():
            listed[row.team_key][person_ids[email]] = row
            if row.is_lead:
                lead_of[row.team_key] = person_ids[email]

    team_ids = {key: team["id"] for key, team in directory.teams.items()}
    new = [key for key in names if key not in directory.teams]
    for level in _levels(new, parent_of.get):
        teams = []
        for key in level:
            base = slugify(names[key])[:180] or "team"
            slug, n = base, 2
            while slug in directory.slugs:
                slug, n = f"{base}-{n}", n + 1
            directory.slugs.add(slug)
            parent_key = parent_of.get(key)
            teams.append(Team(name=names[key], slug=slug, lead_id=lead_of.get(key),
                              parent_id=team_ids[parent_key] if parent_key else None))
        Team.objects.bulk_create(teams, batch_size=BATCH_SIZE)
        team_ids.update(_ids_of(teams, Team, "name", {t.name: _key(t.name) for t in teams}))
    report.teams_created = len(new)

    changed = []
    for key in names:
        current = directory.teams.get(key)
        if current is None:
            continue
        parent_id, lead_id = current["parent_id"], current["lead_id"]
        if key in parent_of:
            parent_id = team_ids[parent_of[key]]
        if key in lead_of:
            lead_id = lead_of[key]
        elif lead_id in listed.get(key, ()):
            lead_id = None  # the file lists the current lead in this team, and not as its lead
        if (parent_id, lead_id) != (current["parent_id"], current["lead_id"]):
            changed.append(Team(id=current["id"], parent_id=parent_id, lead_id=lead_id, updated_at=now))
    Team.objects.bulk_update(changed, ["parent_id", "lead_id", "updated_at"], batch_size=BATCH_SIZE)
    report.teams_updated = len(changed)
    return team_ids


def _write_memberships(by_email, directory, person_ids, team_ids, now):
    """Add each person to their team; returns the emails of existing people who joined one."""
    memberships, joined = [], set()
    for email, row in by_email.items():
        pair = (person_ids[email], team_ids[row.team_key])
        if pair not in directory.memberships:
            directory.memberships.add(pair)
            memberships.append(pair)
            joined.add(email)
    _insert(Membership, ("person_id", "team_id"), memberships, joined_at=now)
    return joined


def _sensitive_values(row, columns, current):
    gender, seniority = current or ("", "")
    if "gender" in columns:
        gender = row.gender
    if "seniority_band" in columns:
        seniority = row.seniority_band
    return gender, seniority


def _write_sensitive(by_email, columns, directory, person_ids):
    """Write gender and seniority band, if the file has either column; returns the emails that changed."""
    if "gender" not in columns and "seniority_band" not in columns:
        return set()
    create, update, changed = [], [], set()
    for email, row in by_email.items():
        pk = person_ids[email]
        existing = directory.sensitive.get(pk)
        gender, seniority = _sensitive_values(row, columns, existing)
        if existing is None:
            if gender or seniority:
                create.append((pk, gender, seniority))
                changed.add(email)
        elif existing != (gender, seniority):
            update.append(SensitiveAttributes(person_id=pk, gender=gender, seniority_band=seniority))
            changed.add(email)
    _insert(SensitiveAttributes, ("person_id", "gender", "seniority_band"), create)
    SensitiveAttributes.objects.bulk_update(update, ["gender", "seniority_band"], batch_size=BATCH_SIZE)
    return changed
