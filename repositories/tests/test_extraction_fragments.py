"""Pieces of queries given straight to a query API: kept apart with the reason, never lost, never SQL.

Each case goes through extract_file, as a scan does (the byte gate, then the language extractor),
and through extract_source without the gate.
"""

import pytest

from repositories.extraction import extract_source
from repositories.extraction.engine import extract_file

FRAGMENT = "fragment: does not start a statement"
BUILT = "fragment of a query built by concatenation or interpolation: does not start a statement"

CASES = {
    "py": (
        "python",
        "def f(cur, qs, status):\n"
        '    cur.execute("WHERE status = %s", (status,))\n'
        '    qs.extra(where=["id IN (SELECT user_id FROM admins)"])\n'
        "    return RawSQL(\"created_at > now() - interval '1 day'\", ())\n",
        [(2, FRAGMENT, "WHERE status = %s"), (3, FRAGMENT, "id IN (SELECT user_id FROM admins)"), (4, FRAGMENT, None)],
    ),
    "js": (
        "javascript",
        'await db.query("WHERE created_at > $1", [since]);\n'
        "const cond = sql`AND status = ${status}`;\n"
        'knex("users").whereRaw("created_at > ?", [since]);\n',
        [(1, FRAGMENT, "WHERE created_at > $1"), (2, BUILT, None), (3, FRAGMENT, "created_at > ?")],
    ),
    "ts": ("typescript", "const rows = await pool.query(`ORDER BY created_at DESC`);\n", [(1, FRAGMENT, None)]),
    "java": (
        "java",
        'class R {\n  Object a() { return em.createNativeQuery("WHERE id = :id"); }\n'
        '  Object b() { return jdbcTemplate.queryForList("status = ?", s); }\n}\n',
        [(2, FRAGMENT, "WHERE id = :id"), (3, FRAGMENT, "status = ?")],
    ),
    "kt": ("kotlin", 'val rows = jdbc.queryForList("ORDER BY created_at DESC")\n', [(1, FRAGMENT, None)]),
    "rb": (
        "ruby",
        'recent = User.where("created_at > ?", since)\nrows = find_by_sql("WHERE id = #{id}")\n',
        [(1, FRAGMENT, "created_at > ?"), (2, BUILT, None)],
    ),
    "php": (
        "php",
        '<?php\n$stmt = $pdo->prepare("WHERE id = :id");\n$rows = $db->query(" AND status = " . $status);\n',
        [(2, FRAGMENT, "WHERE id = :id"), (3, BUILT, None)],
    ),
    "go": (
        "go",
        'package store\n\nfunc f() {\n\trows, _ := db.Query("WHERE id = $1", id)\n\tdb.Where("name = ?", n)\n}\n',
        [(4, FRAGMENT, "WHERE id = $1"), (5, FRAGMENT, "name = ?")],
    ),
    "cs": (
        "csharp",
        'var cmd = new SqlCommand("WHERE Id = @id", conn);\nvar u = ctx.Users.FromSqlRaw(@"ORDER BY id");\n',
        [(1, FRAGMENT, "WHERE Id = @id"), (2, FRAGMENT, "ORDER BY id")],
    ),
}


@pytest.mark.parametrize("extension", sorted(CASES))
def test_fragments_given_to_query_apis_are_rejected_with_the_reason(tmp_path, extension):
    language, source, expected = CASES[extension]
    path = tmp_path / f"code.{extension}"
    path.write_text(source)
    for result in (extract_file(str(path), path.name), extract_source(source, path.name, language)):
        assert result.occurrences == []
        assert [(r.line, r.reason) for r in result.rejected] == [(line, reason) for line, reason, _ in expected]
        for rejected, (_, _, text) in zip(result.rejected, expected, strict=True):
            if text is not None:
                assert rejected.text == text
            assert rejected.language == language


def test_a_fragment_assigned_to_a_name_and_passed_to_execute(tmp_path):
    source = (
        "def f(cur, log):\n"
        '    where = "created_at > %s"\n'
        '    note = "where it went = nowhere, we think"\n'
        "    log.info(note)\n"
        "    cur.execute(where)\n"
        "    cur.executemany(where, rows)\n"
        "    cur.execute(note)\n"
    )
    path = tmp_path / "f.py"
    path.write_text(source)
    for result in (extract_file(str(path), "f.py"), extract_source(source, "f.py", "python")):
        assert [(r.line, r.reason, r.text) for r in result.rejected] == [(2, FRAGMENT, "created_at > %s")]
        assert result.occurrences == []


def test_statements_a_query_api_runs_are_found_even_when_they_are_not_selects(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('def f(cur):\n    cur.execute("REFRESH MATERIALIZED VIEW sales_daily")\n    cur.execute("BEGIN")\n')
    result = extract_file(str(path), "m.py")
    assert [(o.line, o.statement_type) for o in result.occurrences] == [(2, "REFRESH MATERIALIZED VIEW")]
    assert result.rejected == []  # BEGIN is session plumbing: neither a query nor a rejected one


def test_a_table_name_concatenated_in_is_a_template_or_a_message(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        'def f(cur, table):\n    cur.execute("SELECT count(*) FROM " + table)\n'
        '    log.warning("SELECT count(*) FROM " + table)\n'
        '    cur.execute("SELECT count(*) FROM " + table + " WHERE")\n'
    )
    result = extract_file(str(path), "m.py")
    # Given to a query API: kept as a template with one interpolation, stored as written.
    (occurrence,) = result.occurrences
    assert (occurrence.line, occurrence.sql, occurrence.interpolations) == (2, "SELECT count(*) FROM {table}", 1)
    # The same text given to a logger is a message; a piece that cannot be completed is a fragment.
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejected] == [
        (3, "template with interpolated names or clauses, not given to a query API"),
        (4, "fragment of a query built by concatenation or interpolation"),
    ]


def test_prose_and_parameters_around_query_apis_are_not_fragments(tmp_path):
    python = (
        "def f(cur, widget, log):\n"
        '    log.info("where did the rows go = unknown")\n'
        '    widget.text("Order by phone or email")\n'
        '    cur.execute("SELECT * FROM t WHERE a = %s", ("b = c",))\n'
        '    cur.execute("Where are the rows? We looked for them")\n'
        '    exec("print(1)")\n'
    )
    javascript = 'child.exec("ls -la");\nconsole.log("WHERE id = 1");\nres.text("Thanks, your order is in");\n'
    for name, language, source in (("p.py", "python", python), ("j.js", "javascript", javascript)):
        path = tmp_path / name
        path.write_text(source)
        result = extract_file(str(path), name)
        assert [o.line for o in result.occurrences] == ([4] if language == "python" else [])
        assert result.rejected == [], language
