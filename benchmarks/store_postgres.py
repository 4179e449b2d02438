"""The shared run store: a PostgreSQL database (`postgresql://user@host:port/name`) that worker
processes on several machines use at once (DESIGN §5), through psycopg 3 (the optional extra
`pip install -e '.[postgres]'`).

Same schema, statuses and statements as the SQLite store (`store_base`), with PostgreSQL's
locks: a claim takes the oldest pending run with `SELECT … FOR UPDATE SKIP LOCKED` (two
claimers never wait on, nor get, the same row), and an epoch row or a final status is written in
a transaction that first updates the run where the worker's token owns it (that row stays
locked until commit, so a reclaim cannot slip in between).

Reclaim rule: every claim is treated as another host's — pids mean nothing across machines —
so a `running` run whose heartbeat is older than `stale_after` seconds (default 300) goes back
to the queue
(its partial epochs are dropped when it is claimed again). Every time is the database server's
clock, so the machines' clocks need not agree.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

from benchmarks.store_base import VERSION, BaseRunStore, Job, StoreError

SCHEMES = ("postgresql://", "postgres://")
#: default seconds without a heartbeat before a run is taken over: heartbeat age is the only
#: rule here, so a killed worker's run should come back within minutes (a live worker beats
#: every 10 s; a wrongly taken run is only retrained, never recorded twice)
STALE_AFTER = 300.0
#: any number: the advisory lock that serialises schema creation by concurrent openers
_SCHEMA_LOCK = 0x70726564


def is_postgres_url(db: object) -> bool:
    return isinstance(db, str) and db.startswith(SCHEMES)


def mask_url(url: str) -> str:
    """`url` with its password (user:PASSWORD@ or password=...) replaced by ***."""
    url = re.sub(r"^([a-z]+://[^/@:]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)


def _password(url: str) -> str | None:
    m = re.match(r"^[a-z]+://[^/@:]*:([^@/]*)@", url) or re.search(r"password=([^&\s]*)", url)
    return m.group(1) if m and m.group(1) else None


def _one_line(exc: BaseException, url: str) -> str:
    """The driver's message on one line, without the password."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    secret = _password(url)
    return text.replace(secret, "***") if secret else text


def _url_problem(url: str) -> str | None:
    """What is wrong with the URL's host part that libpq would only say on connecting."""
    netloc = urlsplit(url).netloc
    if "," in netloc:  # several hosts (libpq's fail-over form): libpq checks them
        return None
    try:
        urlsplit(url).port
    except ValueError:
        port = netloc.rsplit(":", 1)[-1]
        return f"port {port!r} is not a number from 0 to 65535"
    return None


def connect(url: str, what: str = "PostgreSQL run store") -> Any:
    """An autocommit psycopg connection to `url`; a one-line `StoreError` naming the URL
    (never its password) when psycopg is missing, the URL is malformed or the server cannot be
    reached."""
    location = mask_url(url)
    if not is_postgres_url(url):
        raise StoreError(f"{location}: not a PostgreSQL URL (expected "
                         f"postgresql://user@host:port/name)")
    try:
        import psycopg
    except ImportError:
        raise StoreError(f"{location}: the {what} needs psycopg: pip install -e "
                         f"'.[postgres]'") from None
    problem = _url_problem(url)
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        problem = problem or _one_line(exc, url)
    if problem:
        raise StoreError(f"{location}: malformed PostgreSQL URL ({problem}); expected "
                         f"postgresql://user@host:port/name") from None
    try:
        return psycopg.connect(url, autocommit=True, application_name="predbench",
                               connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(f"{location}: cannot connect to the {what} "
                         f"({_one_line(exc, url)})") from None


class PostgresRunStore(BaseRunStore):
    """The run store in the PostgreSQL database at `url` (its tables are created when absent;
    the database itself must exist). Any number of processes on any number of machines may
    hold one at once."""

    backend = "postgresql"
    NOW = "EXTRACT(EPOCH FROM clock_timestamp())::double precision"
    CLAIM_LOCK = " FOR UPDATE SKIP LOCKED"
    ROW_LOCK = " FOR UPDATE"

    def __init__(self, url: str, stale_after: float = STALE_AFTER) -> None:
        super().__init__(stale_after)
        self.url = url
        self.location = mask_url(url)
        self._db = connect(url)
        import psycopg

        self.db_errors = (psycopg.Error,)
        try:
            self._init_schema()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(f"{self.location}: not a usable predbench run store "
                             f"({_one_line(exc, url)})") from None

    def _init_schema(self) -> None:
        with self._tx():
            self._execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            tables = {r[0] for r in self._all(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_name IN ('predbench_meta', 'runs', 'epochs')")}
            if tables and "predbench_meta" not in tables:
                raise StoreError(f"{self.location}: holds tables of another program, not a "
                                 f"predbench run store (tables: {', '.join(sorted(tables))})")
            if tables:  # the advisory lock above: no other process upgrades meanwhile
                version = self._check_meta(dict(self._all("SELECT key, value FROM "
                                                          "predbench_meta")))
                if version < VERSION:
                    self._upgrade(version)
            else:
                self._create_schema("INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                    "DOUBLE PRECISION")

    # -- the backend -------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return super()._sql(sql).replace("?", "%s")

    def _execute(self, sql: str, args: Any = ()) -> Any:
        return self._db.execute(self._sql(sql), tuple(args))

    def _executemany(self, sql: str, rows: list[tuple]) -> int:
        with self._db.cursor() as cur:
            cur.executemany(self._sql(sql), rows)
            return int(cur.rowcount)

    def _tx(self) -> AbstractContextManager[Any]:
        return self._db.transaction()

    def close(self) -> None:
        self._db.close()

    def _reclaim_dead(self, job: Job) -> int:
        """Runs whose heartbeat is older than `stale_after` go back to the queue (rows another
        transaction holds are skipped: their owner is beating or finishing right now)."""
        cur = self._execute(
            "UPDATE runs SET status='pending', worker=NULL, pid=NULL WHERE id IN (SELECT id "
            "FROM runs WHERE status='running' AND space=? AND dataset=? AND preset=? AND "
            "recipe=? AND heartbeat < {now} - ? FOR UPDATE SKIP LOCKED)",
            (job.space, job.dataset, job.preset, job.recipe, self.stale_after))
        return int(cur.rowcount)
