"""A Redshift endpoint on loopback that records what the real driver sends and answers just enough.

redshift_connector and sqlalchemy-redshift run unchanged: the dialect compiles, the driver
converts its parameters (``convert_paramstyle``) and speaks the PostgreSQL v3 extended protocol
over a real socket. This server reads that protocol, keeps every statement exactly as it
arrived (the Parse message's text and the Bind message's values), and replies with
what lets the flow go on: row counts, one scalar per query. It is no database: the
answers are stated in :meth:`RecordingRedshift.answer`, small enough to read.

COPY is the exception that earns its keep: like the cluster, the server reads the
manifest a COPY names from S3 (moto), reads the objects it lists (decompressed when the
COPY says GZIP), counts their records, and fails the COPY when more than MAXERROR of
them are not JSON objects; their load errors answer the queries that read them back.
The files the flow rejected whole (one reject each, with no line and no text) are
counted from its INSERTs.

It also remembers what a warehouse keeps from one run to the next, so that a second run
meets what the first left: the tables and their columns (``information_schema.columns``:
what CREATE TABLE and ALTER TABLE made them), the views, the marts' recorded definitions
and the ledger's rows. A test may start it as an older warehouse by setting those.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import redshift_connector
import sqlfluff
import sqlglot
from sqlalchemy_redshift.dialect import RESERVED_WORDS
from sqlfluff.core import FluffConfig
from sqlglot import exp

#: What a provisioned cluster answers to the dialect's first query.
VERSION = (
    "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), "
    "Redshift 1.0.77467"
)
_INT8, _VARCHAR, _DATE, _TIMESTAMP = 20, 1043, 1082, 1114
#: The listening report's totals (sql/report/totals.sql).
_TOTALS = ("plays", "matched_plays", "free_plays", "paid_plays", "users_upgraded", "users_downgraded")
_EPOCH_2000 = datetime(2000, 1, 1)
_BINARY_PARAMS: dict[int, Callable[[bytes], Any]] = {
    16: lambda data: data == b"\x01",
    20: lambda data: struct.unpack("!q", data)[0],
    21: lambda data: struct.unpack("!h", data)[0],
    23: lambda data: struct.unpack("!i", data)[0],
    701: lambda data: struct.unpack("!d", data)[0],
    1114: lambda data: _EPOCH_2000 + timedelta(microseconds=struct.unpack("!q", data)[0]),
}


#: AWS's "Reserved words" (https://docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html): usable only quoted.
_AWS_RESERVED_PAGE = """
    aes128 aes256 all allowoverwrite analyse analyze and any array as asc authorization az64 backup between binary
    blanksasnull both bytedict bzip2 case cast check collate column constraint create credentials cross current_date
    current_time current_timestamp current_user current_user_id default deferrable deflate defrag delta delta32k desc
    disable distinct do else emptyasnull enable encode encrypt encryption end except explicit false for foreign freeze
    from full globaldict256 globaldict64k grant group gzip having identity ignore ilike in initially inner intersect
    interval into is isnull join leading left like limit localtime localtimestamp lun luns lzo lzop minus mostly16
    mostly32 mostly8 natural new not notnull null nulls off offline offset oid old on only open or order outer overlaps
    parallel partition percent permissions pivot placing primary raw readratio recover references rejectlog resort
    respect restore right select session_user similar snapshot some sysdate system table tag tdes text255 text32k then
    timestamp to top trailing true truncatecolumns union unique unnest unpivot user using verbose wallet when where with
    without
"""
AWS_RESERVED_WORDS = frozenset(_AWS_RESERVED_PAGE.split())
#: What a cluster refuses as a bare identifier: sqlalchemy-redshift's list (what the dialect quotes) and AWS's, which
#: differ by a word each (AWS has INTERVAL, sqlalchemy-redshift LANGUAGE).
REDSHIFT_RESERVED = AWS_RESERVED_WORDS | {word.lower() for word in RESERVED_WORDS}
#: sqlfluff's Redshift grammar, with no templating: it judges statements as sent (no project config is read).
_SQLFLUFF = FluffConfig(overrides={"dialect": "redshift", "templater": "raw"})
# its parse tree at DEBUG would fill the captured logs of every wire test (and take longer than the parse)
logging.getLogger("sqlfluff").setLevel(logging.WARNING)
#: What sqlfluff's Redshift grammar has no rule for although Redshift answers it: the dialect's connect-time question.
SQLFLUFF_UNKNOWN = frozenset({"show transaction isolation level"})


@dataclass(frozen=True)
class Received:
    """One statement as the server received it: the text of its Parse message, the values of its Bind."""

    session: int
    sql: str
    params: tuple[Any, ...]


@dataclass
class Reply:
    """Rows (their columns' names and type oids) and a command tag, or an error the driver raises."""

    tag: str
    columns: tuple[tuple[str, int], ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    error: dict[str, str] | None = None


class RecordingRedshift:
    """Listens on 127.0.0.1; every session's statements land in :attr:`received`, in arrival order."""

    def __init__(self, read_object: Callable[[str], bytes]) -> None:
        self._read_object = read_object
        self.received: list[Received] = []
        #: Manifests the COPYs named, as the server read them from S3 at COPY time.
        self.manifests: dict[str, dict[str, Any]] = {}
        #: Each object a COPY read, as it read it (decompressed): the objects are gone once the run is over.
        self.objects_read: dict[str, bytes] = {}
        #: What ``select count(*) from stv_slices`` answers: the slices of the cluster.
        self.slices = 4
        #: The rows the flow inserted into rejected_records itself (the rejects it found), their values.
        self.rejects: list[tuple[Any, ...]] = []
        self._rows: dict[str, int] = {}
        #: The UTC days of the events each COPY staged, by staging table.
        self._days: dict[str, set[date]] = {}
        #: Each session's last COPY's load errors: (object, line number, raw line).
        self._load_errors: dict[int, list[tuple[str, int, str]]] = {}
        self._rejected: dict[tuple[Any, ...], int] = {}
        self._rejected_files: dict[tuple[Any, ...], int] = {}
        #: The tables and their columns, as information_schema.columns lists them (a new warehouse: none).
        self.columns: dict[str, list[str]] = {}
        #: The views in the schema, and each mart's recorded definition (mart_definitions: view name -> digest).
        self.views: set[str] = set()
        self.mart_definitions: dict[str, str] = {}
        #: The ledger's rows: (feed, source_object, window_start, window_end) -> object_identity.
        self.ledger: dict[tuple[str, str, Any, Any], str] = {}
        #: Faults to inject once each: statement prefix -> the server's error fields, or None to drop the connection.
        self.faults: dict[str, dict[str, str] | None] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sessions = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    # -- what the server answers ------------------------------------------------
    def answer(self, session: int, sql: str, params: tuple[Any, ...]) -> Reply:
        """The reply to one statement: the dialect's on-connect queries, counts, and COPY's real work."""
        text = statement_text(sql)
        lowered = text.lower()
        verb = lowered.split(" ", 1)[0]
        if lowered == "select pg_catalog.version()":
            return Reply("SELECT 1", (("version", _VARCHAR),), [(VERSION,)])
        if lowered == "select current_schema()":
            return Reply("SELECT 1", (("current_schema", _VARCHAR),), [("public",)])
        if lowered == "show transaction isolation level":
            return Reply("SHOW", (("transaction_isolation", _VARCHAR),), [("serializable",)])
        if verb == "copy":
            return self._copy(session, text)
        if verb in ("create", "drop", "alter"):
            self._remember_ddl(text)
            return Reply(verb.upper())
        if verb in ("begin", "commit", "rollback", "lock"):
            return Reply(verb.upper())
        if lowered.startswith(("insert into mart_definitions", "delete from mart_definitions")):
            return self._mart_definitions(lowered, params)
        if lowered.startswith(("insert into loaded_objects (", "delete from loaded_objects")):
            return self._write_ledger(lowered, params)
        if verb == "insert" and "load_error" in lowered:  # the last COPY's load errors into rejected_records
            _copy_started_at, run_key, feed = params
            errors = len(self._load_errors.pop(session, []))
            self._rejected[run_key, feed] = self._rejected.get((run_key, feed), 0) + errors
            return Reply(f"INSERT 0 {errors}")
        if lowered.startswith("insert into rejected_records") and " values " in lowered:  # rejects the flow found
            rows = [params[start : start + 7] for start in range(0, len(params), 7)]
            with self._lock:
                for row in rows:
                    self.rejects.append(row)
                    # a file rejected whole has no line and no text: it is counted apart from the records
                    counts = self._rejected_files if row[3] is row[5] is None else self._rejected
                    counts[row[:2]] = counts.get(row[:2], 0) + 1
            return Reply(f"INSERT 0 {len(rows)}")
        if verb in ("select", "with") and (
            "from stl_load_errors" in lowered or "from sys_load_error_detail" in lowered
        ):
            columns = (("part", _VARCHAR), ("line_number", _INT8), ("reason", _VARCHAR), ("raw_text", _VARCHAR))
            errors = self._load_errors.get(session, [])
            return Reply(f"SELECT {len(errors)}", columns, [(url, line, "x: bad", raw) for url, line, raw in errors])
        if lowered == "select count(*) as slices from stv_slices":
            return Reply("SELECT 1", (("slices", _INT8),), [(self.slices,)])
        if verb == "insert":
            return Reply("INSERT 0 1")
        if verb == "delete":
            return Reply("DELETE 0")
        if verb == "update":
            return Reply("UPDATE 0")
        if "from information_schema.tables" in lowered:  # no staging table left by a crashed run
            return Reply("SELECT 0", (("table_name", _VARCHAR),))
        if lowered.startswith("select source_object, object_identity, window_start, window_end from loaded_objects"):
            # (a Describe asks with no values: no rows)
            feed, *objects = params or (None,)
            like = " like " in lowered  # a feed's objects under a prefix, else those listed
            rows = [
                (name, identity, start, end)
                for (row_feed, name, start, end), identity in sorted(self.ledger.items(), key=str)
                if row_feed == feed and (name.startswith(objects[0].rstrip("%")) if like else name in objects)
            ]
            columns = (("source_object", _VARCHAR), ("object_identity", _VARCHAR))
            timestamps = (("window_start", _TIMESTAMP), ("window_end", _TIMESTAMP))
            return Reply(f"SELECT {len(rows)}", (*columns, *timestamps), rows)
        if lowered.startswith("select max(object_identity) from loaded_objects"):
            found = [identity for (feed, name, *_), identity in self.ledger.items() if (feed, name) == tuple(params)]
            return Reply("SELECT 1", (("max", _VARCHAR),), [(max(found, default=None),)])
        if "from information_schema.views" in lowered:
            return Reply(
                f"SELECT {len(self.views)}", (("table_name", _VARCHAR),), [(name,) for name in sorted(self.views)]
            )
        if lowered.startswith("select view_name, definition_sha256 from mart_definitions"):
            rows = sorted(self.mart_definitions.items())
            return Reply(f"SELECT {len(rows)}", (("view_name", _VARCHAR), ("definition_sha256", _VARCHAR)), rows)
        if lowered.startswith("select distinct cast(ts as date) as event_day from"):  # the days the COPY staged
            table = re.search(r"from (\w+)", lowered)[1]
            return Reply("SELECT", (("event_day", _DATE),), [(day,) for day in sorted(self._days.get(table, ()))])
        if lowered.startswith("select max(start_time) as newest_play from songplays"):
            # a play as old as the freshness check looks back: it warns, it does not fail
            return Reply("SELECT 1", (("newest_play", _TIMESTAMP),), [(params[0] if params else None,)])
        if lowered.startswith("with staged_files as"):  # no song_id in two song files
            return Reply("SELECT 0", (("song_id", _VARCHAR), ("kept_object", _VARCHAR), ("other_object", _VARCHAR)))
        if "from information_schema.columns" in lowered:
            rows = [(table, column) for table, columns in sorted(self.columns.items()) for column in columns]
            return Reply(f"SELECT {len(rows)}", (("table_name", _VARCHAR), ("column_name", _VARCHAR)), rows)
        if "window_totals" in lowered:  # the listening report: no plays in the window
            return Reply("SELECT 1", tuple((name, _INT8) for name in _TOTALS), [(0,) * len(_TOTALS)])
        if "named_plays" in lowered or " as hour_of_day" in lowered:  # its top songs and artists, its hours: none
            return Reply("SELECT 0", (("plays", _INT8),))
        if lowered.startswith("select count(*) from rejected_records"):
            counts = self._rejected_files if "line_number is null" in lowered else self._rejected
            return Reply("SELECT 1", (("count", _INT8),), [(counts.get(tuple(params), 0),)])
        if verb in ("select", "with"):
            return Reply("SELECT 1", (("observed", _INT8),), [(self._observe(lowered),)])
        raise AssertionError(f"the recorder has no answer for: {text}")

    def _remember_ddl(self, text: str) -> None:
        """The tables' columns and the views as a CREATE, DROP or ALTER leaves them (the run's own tables aside)."""
        parsed = sqlglot.parse_one(text, read="redshift")
        name = parsed.find(exp.Table).name
        view = parsed.args.get("kind") == "VIEW"
        with self._lock:
            if isinstance(parsed, exp.Create) and view:
                self.views.add(name)
            elif isinstance(parsed, exp.Create) and not name.startswith("staging_"):
                declared = [column.name for column in parsed.this.expressions if isinstance(column, exp.ColumnDef)]
                self.columns.setdefault(name, declared)
            elif isinstance(parsed, exp.Drop) and view:
                self.views.discard(name)
            elif isinstance(parsed, exp.Alter):
                for action in parsed.args["actions"]:
                    if isinstance(action, exp.RenameColumn):
                        columns = self.columns[name]
                        columns[columns.index(action.this.name)] = action.args["to"].name
                    elif isinstance(action, exp.ColumnDef):
                        self.columns[name].append(action.name)

    def _mart_definitions(self, lowered: str, params: tuple[Any, ...]) -> Reply:
        """A mart recorded as created from its definition (view name, digest, time), or forgotten."""
        with self._lock:
            if lowered.startswith("delete"):
                return Reply(f"DELETE {int(self.mart_definitions.pop(params[0], None) is not None)}")
            for name, digest, _created_at in (params[start : start + 3] for start in range(0, len(params), 3)):
                self.mart_definitions[name] = digest
        return Reply(f"INSERT 0 {len(params) // 3}")

    def _write_ledger(self, lowered: str, params: tuple[Any, ...]) -> Reply:
        """The ledger's rows as its multi-row INSERTs write them and its DELETE (one feed, window and objects) drops."""
        with self._lock:
            if lowered.startswith("delete"):
                feed, start, end, *objects = params
                gone = [key for key in self.ledger if key[0] == feed and key[2:] == (start, end) and key[1] in objects]
                for key in gone:
                    del self.ledger[key]
                return Reply(f"DELETE {len(gone)}")
            rows = [params[start : start + 9] for start in range(0, len(params), 9)]
            for feed, name, identity, window_start, window_end, *_ in rows:
                self.ledger[feed, name, window_start, window_end] = identity
        return Reply(f"INSERT 0 {len(rows)}")

    def _observe(self, query: str) -> int:
        """A table's row count where a query asks for it (the staged records, else 1: checks want rows), else 0."""
        counted = re.fullmatch(r"select count\(\*\) as observed from \"?(\w+)\"?", query)
        if counted:
            return self._rows.get(counted[1], 1)
        return 0

    def _copy(self, session: int, text: str) -> Reply:
        """Reads the manifest, counts the records; more bad records than MAXERROR fail the COPY, as on Redshift."""
        table = re.match(r"COPY (\w+)", text)[1]
        manifest_url = re.search(r"FROM '([^']+)'", text)[1]
        assert " MANIFEST " in f" {text} ", f"a COPY without MANIFEST reads a prefix: {text}"
        manifest = json.loads(self._read_object(manifest_url))
        self.manifests[manifest_url] = manifest
        good, bad = 0, []
        days = self._days.setdefault(table, set())
        for entry in manifest["entries"]:
            data = self._read_object(entry["url"])
            if " GZIP " in f" {text} ":
                data = gzip.decompress(data)
            self.objects_read[entry["url"]] = data
            for line, record, raw in _json_records(data.decode("utf-8", "replace")):
                if isinstance(record, dict):
                    good += 1
                    if isinstance(record.get("ts"), int):
                        days.add((datetime(1970, 1, 1) + timedelta(milliseconds=record["ts"])).date())
                else:
                    bad.append((entry["url"], line, raw))
        max_error = int(re.search(r"MAXERROR AS (\d+)", text)[1])
        self._load_errors[session] = bad
        if len(bad) >= max_error:
            return Reply(
                "",
                error={
                    "S": "ERROR",
                    "C": "XX000",
                    "M": f"Load into table '{table}' failed.  Check 'stl_load_errors' system table for details.",
                },
            )
        self._rows[table] = good
        return Reply(f"COPY {good}")

    # -- the protocol -------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._sessions += 1
                session = self._sessions
            threading.Thread(target=self._serve, args=(client, session), daemon=True).start()

    def _serve(self, client: socket.socket, session: int) -> None:
        with client, client.makefile("rwb") as stream:
            (length,) = struct.unpack("!i", stream.read(4))
            stream.read(length - 4)  # startup parameters; no password is asked for
            _send(stream, b"R", struct.pack("!i", 0))
            for name, value in (("server_version", "8.0.2"), ("client_encoding", "UTF8")):
                _send(stream, b"S", name.encode() + b"\0" + value.encode() + b"\0")
            _send(stream, b"K", struct.pack("!ii", session, 0))
            _send(stream, b"Z", b"I")
            stream.flush()
            self._conversation(stream, session)

    def _conversation(self, stream: Any, session: int) -> None:
        prepared: dict[bytes, tuple[str, tuple[int, ...]]] = {}
        portal: tuple[str, tuple[Any, ...]] | None = None
        status, failed = b"I", False
        while header := stream.read(5):
            kind, length = header[:1], struct.unpack("!i", header[1:])[0]
            body = stream.read(length - 4)
            if kind == b"X":
                return
            if kind == b"S":
                _send(stream, b"Z", status)
                stream.flush()
                failed = False
                continue
            if failed or kind == b"H":
                continue
            if kind == b"P":
                name, rest = body.split(b"\0", 1)
                query, rest = rest.split(b"\0", 1)
                (count,) = struct.unpack("!h", rest[:2])
                prepared[name] = (query.decode(), struct.unpack(f"!{count}i", rest[2 : 2 + 4 * count]))
                _send(stream, b"1", b"")
            elif kind == b"D":
                query, oids = prepared[body[1:].rstrip(b"\0")]
                _send(stream, b"t", struct.pack(f"!h{len(oids)}i", len(oids), *oids))
                columns = self.answer(session, query, ()).columns if _describes_rows(query) else ()
                if columns:
                    fields = b"".join(
                        name.encode() + b"\0" + struct.pack("!ihihih", 0, 0, oid, -1, -1, 0) for name, oid in columns
                    )
                    _send(stream, b"T", struct.pack("!h", len(columns)) + fields)
                else:
                    _send(stream, b"n", b"")
            elif kind == b"B":
                _, rest = body.split(b"\0", 1)
                name, rest = rest.split(b"\0", 1)
                query, oids = prepared[name]
                portal = (query, _bind_values(rest, oids))
                _send(stream, b"2", b"")
            elif kind == b"E":
                assert portal is not None
                query, params = portal
                with self._lock:
                    self.received.append(Received(session, query, params))
                    fault = next((f for f in self.faults if statement_text(query).startswith(f)), None)
                    error = self.faults.pop(fault) if fault else "no fault"
                if error is None:
                    return  # the connection drops mid-statement
                reply = Reply("", error=error) if isinstance(error, dict) else self.answer(session, query, params)
                if reply.error:
                    payload = b"".join(key.encode() + value.encode() + b"\0" for key, value in reply.error.items())
                    _send(stream, b"E", payload + b"\0")
                    failed, status = True, (b"E" if status == b"T" else status)
                    continue
                for row in reply.rows:
                    _send(stream, b"D", struct.pack("!h", len(row)) + b"".join(_sized(value) for value in row))
                _send(stream, b"C", reply.tag.encode() + b"\0")
                verb = statement_text(query).split(" ", 1)[0].lower()
                status = b"T" if verb == "begin" else b"I" if verb in ("commit", "rollback") else status
            elif kind == b"C":
                _send(stream, b"3", b"")


def _json_records(text: str) -> Iterator[tuple[int, Any, str]]:
    """The JSON values of an object, one after another as COPY's JSON 'auto' reads them, each with the number of
    the line it starts on and its text; None for a bad line."""
    decoder, position = json.JSONDecoder(), 0
    while (position := len(text) - len(text[position:].lstrip())) < len(text):
        line, start = text.count("\n", 0, position) + 1, position
        try:
            record, position = decoder.raw_decode(text, position)
        except ValueError:
            record, position = None, (text.find("\n", position) + 1 or len(text))
        yield line, record, text[start:position].strip()


def redshift_refuses(sql: str) -> str | None:
    """What sqlfluff's Redshift grammar cannot parse in ``sql`` (a grammar that knows AWS's reserved words), if any."""
    try:
        sqlfluff.parse(sql, config=_SQLFLUFF)
    except sqlfluff.api.simple.APIParsingError as error:
        return str(error)
    return None


@cache
def reserved_identifiers(sql: str) -> frozenset[str]:
    """The unquoted identifiers of ``sql`` (tables, columns, aliases, CTE names, LOCK's tables) Redshift reserves.

    sqlfluff accepts ten of AWS's reserved words as names (INTERVAL, GZIP, WALLET...): sqlglot's parse names them all.
    """
    text = statement_text(sql)
    if text.upper().startswith("LOCK "):  # sqlglot has no grammar for LOCK: its tables, one by one
        names = [name.strip() for name in re.sub(r"(?i)^LOCK (TABLE )?", "", text).split(",")]
        return frozenset(name for name in names if name.lower() in REDSHIFT_RESERVED)
    return frozenset(
        identifier.name
        for parsed in sqlglot.parse(sql, read="redshift")
        if parsed is not None
        for identifier in parsed.find_all(exp.Identifier)
        if not identifier.quoted and identifier.name.lower() in REDSHIFT_RESERVED
    )


def statement_text(sql: str) -> str:
    """The statement without its comment lines, on one line."""
    return " ".join(re.sub(r"--[^\n]*", " ", sql).split())


def _describes_rows(query: str) -> bool:
    return statement_text(query).split(" ", 1)[0].lower() in ("select", "with", "show")


def _bind_values(rest: bytes, oids: tuple[int, ...]) -> tuple[Any, ...]:
    """The Bind message's parameter values, decoded by their declared types and format codes."""
    (count,) = struct.unpack("!h", rest[:2])
    formats = struct.unpack(f"!{count}h", rest[2 : 2 + 2 * count])
    offset = 2 + 2 * count
    (values_count,) = struct.unpack("!h", rest[offset : offset + 2])
    offset += 2
    values = []
    for index in range(values_count):
        (size,) = struct.unpack("!i", rest[offset : offset + 4])
        offset += 4
        if size == -1:
            values.append(None)
            continue
        data = rest[offset : offset + size]
        offset += size
        binary = formats[index] if len(formats) > 1 else (formats[0] if formats else 0)
        values.append(_BINARY_PARAMS[oids[index]](data) if binary else data.decode())
    return tuple(values)


def _sized(value: Any) -> bytes:
    """One column of a DataRow: its length, then its bytes (an int or a timestamp in binary); NULL is the length -1."""
    if value is None:
        return struct.pack("!i", -1)
    if isinstance(value, datetime):  # the driver reads a TIMESTAMP as microseconds since 2000
        value = (value - _EPOCH_2000) // timedelta(microseconds=1)
    data = struct.pack("!q", value) if isinstance(value, int) else str(value).encode()
    return struct.pack("!i", len(data)) + data


def _send(stream: Any, kind: bytes, payload: bytes) -> None:
    stream.write(kind + struct.pack("!i", len(payload) + 4) + payload)


@contextmanager
def redirected(server: RecordingRedshift) -> Iterator[None]:
    """Every ``redshift_connector.connect`` reaches the recorder, whatever host it names (no TLS on loopback)."""
    connect = redshift_connector.connect

    def to_recorder(**kwargs: Any) -> Any:
        return connect(**{**kwargs, "host": "127.0.0.1", "port": server.port, "ssl": False})

    redshift_connector.connect = to_recorder
    try:
        yield
    finally:
        redshift_connector.connect = connect
