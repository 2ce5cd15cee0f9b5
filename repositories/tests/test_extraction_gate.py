"""The cheap passes that decide where the scan looks: the query API names the gate knows, the gate's
lines, a YAML line's parent, and the check for strings the code goes on extending. Each shortcut must
give what the slow way gives."""

import re

import pytest

from repositories.extraction.continuations import Extensions
from repositories.extraction.embedded import _indent, _Outline
from repositories.extraction.engine import extract_file, fold, gate_lines
from repositories.extraction.sql import API_NAME_ENDINGS, API_NAMES, QUERY_API_NAMES, given_to_query_api


def test_api_names_are_every_name_the_pattern_matches():
    pattern = re.compile(QUERY_API_NAMES, re.IGNORECASE)
    assert all(pattern.fullmatch(name) for name in API_NAMES)
    for name in ("execute", "executemany", "createnativequery", "fromsqlraw", "mysqli_query", "queryrawunsafe"):
        assert name in API_NAMES
    assert "executemanyx" not in API_NAMES and "setvalue" not in API_NAMES
    assert {name[-3:] for name in API_NAMES} == API_NAME_ENDINGS


@pytest.mark.parametrize(
    ("code", "opens"),
    [
        ('cursor.execute("SET search_path TO app")\n', True),  # a statement the keyword gate does not know
        ('rows = db.query("status = ?", x)\n', True),  # a fragment given to a query API
        ("Model.objects.extra(where=['state = %s'])\n", True),
        ('cursor.execute ("VACUUM t")\n', True),  # a blank between name and `(`: left to the full check
        ('label = _("Set the value")\nwidget.setValue("x")\n', False),  # ordinary calls
        ('name = row["select"]\n', False),  # a subscript
        ("title = 'Select'\nmenu = {'delete': 1}\n", False),  # a keyword that closes its literal
        ('sql = "SELECT" + " * FROM t"\n', True),  # ... unless the next literal goes on with it
    ],
)
def test_gate_opens_where_a_query_may_start(code, opens):
    assert bool(gate_lines(fold(code.encode()), "python").opening) is opens


def test_gate_lines_start_where_the_lines_do():
    code = "x = 1\n\ny = 'a'\nq = db.execute('SELECT 1')\n  r = \"UPDATE t SET a = 1\"\n"
    gate = gate_lines(fold(code.encode()), "javascript")
    assert gate.opening == [4, 5]
    lines = code.split("\n")
    assert {line: code[offset:].split("\n")[0] for line, offset in gate.starts.items()} == {
        4: lines[3],
        5: lines[4],
    }


def test_given_to_query_api_reads_the_name_before_the_parenthesis():
    assert given_to_query_api('db.QueryContext(context.Background(), "x = 1")', 38)
    assert given_to_query_api('cur.execute (  "x = 1")', 15)
    assert not given_to_query_api('print("x = 1")', 6)


def _naive_parent(lines, index):
    indent = _indent(lines[index])
    while index > 0 and indent > 0:
        index -= 1
        line = lines[index]
        if line.strip() and not line.lstrip().startswith("#"):
            if _indent(line) < indent:
                return index
    return None


def test_yaml_parent_jumps_give_the_line_by_line_answer():
    text = "metrics:\n"
    for number in range(60):
        text += f"  metric_{number}:\n    sqls:\n      11: |\n        SELECT {number}\n\n        FROM t\n"
        text += "    # a comment\n    gauges:\n      - value\n"
    lines = text.split("\n")
    outline = _Outline(lines)
    # In the order a scan asks (top down), then everything again from the memory it built.
    for index in [*range(len(lines)), *reversed(range(len(lines)))]:
        assert outline.parent(index) == _naive_parent(lines, index), index


@pytest.mark.parametrize(
    ("body", "extended"),
    [
        ('$sql = "UPDATE t SET a = 1";\n  $sql .= " WHERE id = 2";\n  run($sql);', True),
        ('$sql = "UPDATE t SET a = 1";\n  $sql = $sql . " WHERE id = 2";\n  run($sql);', True),
        ('$sql = "UPDATE t SET a = 1";\n  run($sql);', False),
        ('$sql = "UPDATE t SET a = 1";\n  $other .= "x";\n  run($sql);', False),
    ],
)
def test_extension_check_shortcut(body, extended):
    source = f"<?php\nfunction f() {{\n  {body}\n}}\n"
    start = source.index('"UPDATE')
    end = source.index(";", start)
    assert (Extensions(source, "php").extension_of(start, end) is not None) is extended


def test_a_php_file_scans_the_same_through_the_gate(tmp_path):
    # Non-ASCII before the query: the gate's byte offsets are not the text's, so lines are split instead.
    path = tmp_path / "db.php"
    path.write_text(
        '<?php\n// Größe\n$sql = "SELECT id FROM users WHERE name = \'{$name}\'";\n$x = "plain";\n', encoding="utf-8"
    )
    result = extract_file(str(path), "db.php")
    assert [(o.line, o.column, o.sql) for o in result.occurrences] == [
        (3, 8, "SELECT id FROM users WHERE name = '{$name}'")
    ]
