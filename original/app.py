"""The original benchmark's application: Flask under gunicorn, three endpoints.

    GET /index             json.dumps({'hello': 'world'})
    GET /agents            the agents query on a NEW psycopg2 connection per request
    GET /agents_with_pool  the same query through a per-worker psycopg2 pool

One deliberate difference from the original: /agents_with_pool returns its
connection to the pool (putconn) and never closes it. The original closed
pooled connections, so 99.4% of its responses were errors.

Settings (environment):
    ORIGINAL_DATABASE_URL     libpq DSN or URI (empty: libpq's PG* variables)
    ORIGINAL_POOL_SIZE        connections per worker's pool (default 1)
    ORIGINAL_CONNECT_TIMEOUT  seconds a new connection may take (libpq's
                              connect_timeout, over the DSN's; default 5)
"""

import json
import os
import threading

import psycopg2
import psycopg2.extras
import psycopg2.pool
from flask import Flask, Response

# The query, verbatim as internal/service/agents.Query has it (a Go test checks that
# this file contains it), so pg_stat_statements counts both apps' calls
# under the same text.
QUERY = """SELECT af.number AS number, als.extension AS extension, als.context AS context,
       als.state_interface AS state_interface, 'offline' AS status,
       '-1' AS extension_status, '0' AS paused
FROM agentfeatures af LEFT JOIN agent_login_status als ON (af.id = als.agent_id)"""

DSN = os.environ.get("ORIGINAL_DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("ORIGINAL_POOL_SIZE", "1"))
if POOL_SIZE < 1:
    raise ValueError("ORIGINAL_POOL_SIZE must be at least 1, got %d" % POOL_SIZE)
# A database that accepts TCP but never answers (paused, overloaded) fails a
# connect within this, instead of holding a sync worker until gunicorn's
# worker timeout (30 s) kills it. libpq waits forever at 0, and takes 2 s
# for 1.
CONNECT_TIMEOUT = int(os.environ.get("ORIGINAL_CONNECT_TIMEOUT", "5"))
if CONNECT_TIMEOUT < 1:
    raise ValueError("ORIGINAL_CONNECT_TIMEOUT must be at least 1 (seconds), got %d" % CONNECT_TIMEOUT)

# Seen in pg_stat_activity.application_name: which endpoint holds a backend.
NEWCONN_NAME = "macrobench-original /agents"
POOL_NAME = "macrobench-original /agents_with_pool"

app = Flask(__name__)

_pool = None
_pool_lock = threading.Lock()


def get_pool():
    """This worker's pool, opened at its first /agents_with_pool request.

    Created after gunicorn forks (never shared between processes), and only
    when needed: a worker that serves no pooled request holds no connection,
    and /index works while the database is down.

    minconn == maxconn: psycopg2's pool closes a returned connection whenever
    it already keeps minconn idle ones, so a smaller minconn would close
    connections on putconn, the original's bug by another route.
    """
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = psycopg2.pool.ThreadedConnectionPool(
                    POOL_SIZE, POOL_SIZE, DSN, application_name=POOL_NAME,
                    connect_timeout=CONNECT_TIMEOUT)
    return _pool


def fetch_agents(conn):
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(QUERY)
        return cur.fetchall()


def json_response(body):
    return Response(body, mimetype="application/json")


@app.route("/index")
def index():
    return json_response(json.dumps({"hello": "world"}))


@app.route("/agents")
def agents():
    conn = psycopg2.connect(DSN, application_name=NEWCONN_NAME,
                            connect_timeout=CONNECT_TIMEOUT)
    try:
        rows = fetch_agents(conn)
    finally:
        conn.close()
    return json_response(json.dumps(rows))


@app.route("/agents_with_pool")
def agents_with_pool():
    pool = get_pool()
    conn = pool.getconn()
    try:
        # One SELECT needs no transaction: in autocommit psycopg2 sends no
        # BEGIN, and a returned connection is never left idle in one.
        if not conn.autocommit:
            conn.autocommit = True
        rows = fetch_agents(conn)
    finally:
        # The fix: back to the pool, open. putconn discards a connection
        # that broke (the server restarted); the pool opens a new one on a
        # later getconn.
        pool.putconn(conn)
    return json_response(json.dumps(rows))
