"""Statements the code goes on extending (`.=`, `+=`, `<<`, `s = s + ...`) after writing them: the first
literal is not what the program runs, so it is a rejected candidate with the line that extends it,
never a stored query. Each case goes through extract_file, as a scan does (the gate, then the language)."""

import pytest

from repositories.extraction.engine import extract_file

COMPOSED = "composed at run time: the code extends this string"

EXTENDED = {
    # phppgadmin's shape: a statement, then optional clauses appended before it runs.
    "drop.php": (
        "<?php\nfunction dropRule($rule, $cascade) {\n"
        '    $sql = "DROP RULE \\"{$rule}\\" ON t";\n'
        '    if ($cascade) $sql .= " CASCADE";\n'
        "    return $this->execute($sql);\n}\n",
        3,
        4,
    ),
    # ADODB_base's loop: the else-branch writes the statement the if-branch extends on the next turn.
    "update.php": (
        "<?php\nfunction update($table, $vars) {\n    foreach ($vars as $key => $value) {\n"
        '        if ($setClause) $setClause .= ", \\"{$key}\\"=\'{$value}\'";\n'
        '        else $setClause = "UPDATE \\"{$table}\\" SET \\"{$key}\\"=\'{$value}\'";\n'
        "    }\n    return $this->conn->Execute($setClause);\n}\n",
        5,
        4,
    ),
    "heredoc.php": (
        "<?php\nfunction f($limit) {\n    $sql = <<<SQL\n        SELECT id FROM users\n    SQL;\n"
        '    $sql = $sql . " LIMIT {$limit}";\n    return $db->query($sql);\n}\n',
        4,
        6,
    ),
    "dao.java": (
        "class Dao {\n    public List<Long> ids(boolean after) {\n"
        '        String query = "SELECT id FROM devices WHERE tenant_id = ?";\n'
        '        if (after) {\n            query += " AND id > ? ";\n        }\n'
        "        return jdbcTemplate.queryForList(query, Long.class);\n    }\n}\n",
        3,
        5,
    ),
    "list.js": (
        "async function list(db, status) {\n  let sql = 'SELECT id FROM orders';\n"
        "  if (status) sql += ' WHERE status = $1';\n  return db.query(sql, [status]);\n}\n",
        2,
        3,
    ),
    "list.py": (
        "def rows(cur, status):\n"
        '    sql = "SELECT id FROM orders"\n'
        "    if status:\n"
        '        sql += " WHERE status = %s"\n'
        "    cur.execute(sql, (status,))\n",
        2,
        4,
    ),
    "report.rb": (
        'def report(conn)\n  sql = "SELECT id FROM reports"\n  sql << " ORDER BY id"\n  conn.exec(sql)\nend\n',
        2,
        3,
    ),
}

# The same variable name, but the string is complete: another function, a new assignment, a comment.
COMPLETE = {
    "functions.php": (
        "<?php\nfunction a($x) {\n"
        '    $sql = "SELECT id FROM a";\n    $sql .= " WHERE x = 1";\n    return $this->selectSet($sql);\n}\n'
        'function b() {\n    $sql = "SELECT id FROM b";\n    return $this->selectSet($sql);\n}\n',
        8,
    ),
    "reassigned.php": (
        "<?php\nfunction a() {\n"
        '    $sql = "SELECT id FROM a";\n    $this->execute($sql);\n'
        '    $sql = "SELECT id FROM b";\n    $sql .= " WHERE x = 1";\n    return $this->execute($sql);\n}\n',
        3,
    ),
    "commented.java": (
        "class Dao {\n    public void detach(String table) {\n"
        '        String stmt = "ALTER TABLE t DETACH PARTITION p";\n'
        '//        stmt += " CONCURRENTLY";\n        jdbcTemplate.execute(stmt);\n    }\n}\n',
        3,
    ),
    "other_name.js": (
        "function f(db) {\n  const sql = 'SELECT id FROM orders';\n  let url = '/orders';\n  url += '?page=2';\n"
        "  return db.query(sql);\n}\n",
        2,
    ),
    "batch.php": (
        '<?php\nfunction b() {\n    $sql = "";\n    $sql .= "DELETE FROM a WHERE id = 1;";\n'
        "    return $this->execute($sql);\n}\n",
        4,
    ),
}


def _extract(tmp_path, name: str, source: str):
    path = tmp_path / name
    path.write_text(source)
    return extract_file(str(path), name)


@pytest.mark.parametrize("name", EXTENDED)
def test_an_extended_statement_is_a_rejected_candidate_naming_the_line_that_extends_it(tmp_path, name):
    source, line, extended_on = EXTENDED[name]
    result = _extract(tmp_path, name, source)
    assert [occurrence.line for occurrence in result.occurrences] == []
    rejected = [candidate for candidate in result.rejected if candidate.line == line]
    assert len(rejected) == 1, result.rejected
    assert rejected[0].reason.startswith(COMPOSED)
    assert f"on line {extended_on}," in rejected[0].reason


@pytest.mark.parametrize("name", COMPLETE)
def test_a_complete_statement_under_a_name_extended_elsewhere_is_kept(tmp_path, name):
    source, line = COMPLETE[name]
    result = _extract(tmp_path, name, source)
    assert line in [occurrence.line for occurrence in result.occurrences], result.rejected
    assert not any(candidate.line == line for candidate in result.rejected)
