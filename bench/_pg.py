"""PostgreSQL helpers shared by the benchmarks that bulk-load a bench database."""

import io
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit


def ensure_database(url):
    """Create the database named in `url` if it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def copy(cursor, table, columns, rows):
    """COPY rows (tuples; strings as they are, None as NULL) into table; returns the count."""
    buf, n = io.StringIO(), 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            buf.write("\t".join("\\N" if v is None else v if isinstance(v, str) else str(v) for v in row))
            buf.write("\n")
            n += 1
            if buf.tell() > 1 << 22:
                cp.write(buf.getvalue())
                buf = io.StringIO()
        cp.write(buf.getvalue())
    return n


def iso(epoch_seconds):
    """An epoch time as an ISO 8601 UTC timestamp, as COPY wants it."""
    return datetime.fromtimestamp(int(epoch_seconds), UTC).isoformat()
