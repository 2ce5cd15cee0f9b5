"""The extraction engine on its own: plain inputs and outputs, no database."""

import os

import pytest

from repositories.extraction import analyse, extract_source, scan_tree, to_parameters
from repositories.extraction.engine import extract_file


def only(source, language):
    result = extract_source(source, "f", language)
    return result.occurrences, result.rejected


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM users WHERE id = ? AND org = ?",
        "SELECT * FROM users WHERE id = %s AND org = %s",
        "SELECT * FROM users WHERE id = %(id)s AND org = %(org)s",
        "SELECT * FROM users WHERE id = :id AND org = :org",
        "SELECT * FROM users WHERE id = @id AND org = @org",
        "SELECT * FROM users WHERE id = $1 AND org = $2",
        "SELECT * FROM users WHERE id = #{id} AND org = ${org}",
        "select *\n  from users\n where id = 7 and org = 'acme'",
    ],
)
def test_every_placeholder_style_is_the_same_query(text):
    reference = analyse("SELECT * FROM users WHERE id = $1 AND org = $2").statements[0]
    statement = analyse(text).statements[0]
    assert statement.fingerprint == reference.fingerprint
    assert statement.tables_read == ("users",)


def test_placeholders_inside_literals_casts_and_comments_stay():
    text = "SELECT a::text, '?' , 'x:y' FROM t -- where id = ?\nWHERE b = ?"
    assert to_parameters(text) == "SELECT a::text, '?' , 'x:y' FROM t -- where id = ?\nWHERE b = $1"


def test_tables_read_and_written_skip_ctes():
    statement = analyse(
        "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') "
        "INSERT INTO order_archive SELECT r.* FROM recent r JOIN public.customers c ON c.id = r.customer_id"
    ).statements[0]
    assert statement.statement_type == "INSERT"
    assert statement.tables_written == ("order_archive",)
    assert statement.tables_read == ("orders", "public.customers")


def test_normalized_text_hides_constants():
    statement = analyse("SELECT * FROM film WHERE rating = 'PG' AND length > 90").statements[0]
    assert statement.normalized == "SELECT * FROM film WHERE rating = $1 AND length > $2"


def test_sql_file_with_dollar_quoting_comments_and_names():
    source = (
        "-- name: get-user\n"
        "SELECT * FROM users WHERE id = :id;\n"
        "/* a comment; with a semicolon */\n"
        "CREATE FUNCTION bump() RETURNS trigger AS $body$\n"
        "BEGIN\n  UPDATE counters SET n = n + 1; RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\n"
        "SELECT ';' AS semi, $$ a ; b $$ AS dollars FROM t;\n"
        "BEGIN;\n"
        "SELECT `id` FROM users;\n"
    )
    occurrences, rejected = only(source, "sql")
    assert [(o.line, o.statement_type, o.name) for o in occurrences] == [
        (2, "SELECT", "get-user"),
        (4, "CREATE FUNCTION", ""),
        (9, "SELECT", ""),
    ]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [(11, "does not parse as PostgreSQL")]


def test_python_concatenation_fstrings_and_docstrings():
    source = (
        "def f(cur, table, uid):\n"
        '    """Select the rows from the users table."""\n'
        '    cur.execute("SELECT id "\n'
        '                "FROM users WHERE id = %s", (uid,))\n'
        '    cur.execute(f"DELETE FROM sessions WHERE user_id = {uid}")\n'
        '    cur.execute("SELECT * FROM " + table)\n'
    )
    occurrences, rejected = only(source, "python")
    assert [(o.line, o.column, o.statement_type) for o in occurrences] == [
        (3, 17, "SELECT"),
        (5, 17, "DELETE"),
        (6, 17, "SELECT"),
    ]
    # Stored as written; the interpolated value and the concatenated table name are counted.
    assert occurrences[1].sql == "DELETE FROM sessions WHERE user_id = {uid}"
    assert occurrences[1].normalized == "DELETE FROM sessions WHERE user_id = $1"
    assert (occurrences[2].sql, occurrences[2].interpolations) == ("SELECT * FROM {table}", 1)
    assert occurrences[2].normalized == "SELECT * FROM tpl1"  # a stand-in name, so it parses and fingerprints
    assert rejected == []
    assert "users WHERE id" in occurrences[0].context


def test_java_native_query_vs_jpql():
    source = (
        'interface R {\n  @Query(value = "SELECT * FROM users WHERE email = :e", nativeQuery = true)\n  U a();\n'
        '  @Query("SELECT u FROM User u WHERE u.active = true")\n  List<U> b();\n'
        '  String block = """\n      SELECT id\n      FROM accounts\n      """;\n}\n'
    )
    occurrences, rejected = only(source, "java")
    assert [(o.line, o.tables_read) for o in occurrences] == [(2, ("users",)), (6, ("accounts",))]
    assert [r.reason for r in rejected] == ["JPQL/HQL (an ORM query language), not native SQL"]


def test_ruby_php_csharp_javascript_go_kotlin_literals():
    cases = {
        "ruby": "execute(<<~SQL)\n  DELETE FROM carts WHERE id = #{id}\nSQL\n",
        "php": '$pdo->query("UPDATE carts SET seen = true WHERE id = {$cart->id}");',
        "csharp": 'var sql = @"SELECT ""Id""\nFROM carts WHERE id = @id";',
        "javascript": "const q = sql`SELECT * FROM carts WHERE id = ${id}`;",
        "go": "const q = `SELECT * FROM carts WHERE id = $1`",
        "kotlin": 'val q = "SELECT * FROM carts WHERE id = ${cart.id}"',
    }
    for language, source in cases.items():
        occurrences, rejected = only(source, language)
        assert len(occurrences) == 1, (language, rejected)
        assert occurrences[0].tables_read + occurrences[0].tables_written == ("carts",), language
    assert only(cases["ruby"], "ruby")[0][0].line == 2


def test_prose_and_other_dialects_are_kept_apart():
    source = (
        'log.info("Select the rows from the table");\n'
        'String a = "SELECT TOP 10 * FROM Orders";\n'
        'String b = "Update your profile settings";\n'
    )
    occurrences, rejected = only(source, "java")
    assert occurrences == []
    assert len(rejected) == 2  # "Update your profile settings" does not even look like SQL


def test_scan_tree_uses_a_pool_and_never_follows_symlinks(tmp_path):
    (tmp_path / "src").mkdir()
    for i in range(30):
        (tmp_path / "src" / f"m{i}.py").write_text(f'Q = "SELECT * FROM t{i % 3} WHERE id = %s"\n')
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.py").write_text('Q = "SELECT * FROM secrets"\n')
    os.symlink(outside, tmp_path / "src" / "linked")
    os.symlink(outside / "secret.py", tmp_path / "src" / "secret.py")
    seen = []
    totals = scan_tree(str(tmp_path), on_results=lambda chunk: seen.extend(chunk.results), workers=2, chunk_size=4)
    assert totals.files == 30 and totals.occurrences == 30
    assert {o.file for r in seen for o in r.occurrences} == {f"src/m{i}.py" for i in range(30)}


def test_binary_and_keywordless_files_are_skipped(tmp_path):
    binary = tmp_path / "blob.js"
    binary.write_bytes(b"\0\1SELECT * FROM x")
    assert extract_file(str(binary), "blob.js").occurrences == []
    assert extract_file(str(tmp_path / "blob.png"), "blob.png") is None
    (tmp_path / "notes.txt").write_text("Select the rows you want.\n")
    assert extract_file(str(tmp_path / "notes.txt"), "notes.txt").occurrences == []  # sniffed: not SQL


def test_gate_finds_literals_that_open_with_comments_and_heredocs(tmp_path):
    source = (
        "def f(cur):\n"
        '    cur.execute("-- the active users\\nSELECT id FROM users WHERE active")\n'
        '    cur.execute("/* hint */ UPDATE users SET seen = true")\n'
        '    return "no sql here: update later"\n'
    )
    (tmp_path / "q.py").write_text(source)
    result = extract_file(str(tmp_path / "q.py"), "q.py")
    assert [(o.line, o.statement_type) for o in result.occurrences] == [(2, "SELECT"), (3, "UPDATE")]
    (tmp_path / "plain.py").write_text("def update(x):\n    return select(x)  # delete me\n")
    assert extract_file(str(tmp_path / "plain.py"), "plain.py").occurrences == []
