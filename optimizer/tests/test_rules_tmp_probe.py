import psycopg


def test_probe(scratch_database):
    with psycopg.connect(scratch_database, autocommit=True) as c:
        c.execute("CREATE TABLE tt (a text, b varchar(10), c timestamptz)")
        c.execute("CREATE INDEX tt_i ON tt (a text_pattern_ops, lower(b) DESC, c)")
        print(c.execute("SELECT pg_get_indexdef('tt_i'::regclass, k, true) FROM generate_series(1,3) k").fetchall())
        print(c.execute("SELECT pg_get_indexdef('tt_i'::regclass)").fetchall())
