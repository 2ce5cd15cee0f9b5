"""SQL outside program code: what psql is given in shell scripts, Makefiles and Markdown, SQL values of
YAML files, and Mustache parameters (`{{ name }}`, redash). Every statement is placed at the line and
column where it starts; each case goes through extract_file, as a scan does."""

import pytest

from repositories.extraction.engine import extract_file
from repositories.extraction.sql import analyse, interpolation

# name: (file text, [(line, column, stored text, interpolations)])
CASES = {
    # redash's Makefile: flags run together (-1tqc), and psql inside an outer `sh -c '...'`.
    "Makefile": (
        "up:\n\tdocker compose exec -u postgres postgres psql postgres --csv \\\n"
        "\t\t-1tqc \"SELECT table_name FROM information_schema.tables WHERE table_name = 'organizations'\" \\\n"
        "\t\t| grep -q organizations || make create_database\n"
        "test_db:\n"
        '\tdocker compose exec postgres sh -c \'psql -U postgres -c "drop database if exists tests;" && '
        'psql -U postgres -c "create database tests;"\'\n'
        '\tpsql -c "SELECT count(*) FROM $(TABLE) WHERE id = $$ID"\n',
        [
            (3, 10, "SELECT table_name FROM information_schema.tables WHERE table_name = 'organizations'", 0),
            (6, 59, "drop database if exists tests", 0),
            (6, 115, "create database tests", 0),
            (7, 11, "SELECT count(*) FROM $(TABLE) WHERE id = $$ID", 2),
        ],
    ),
    # pgwatch's docs: psql -c in an indented example and in a fenced block; a heredoc of two statements.
    "docs/upgrading.md": (
        "Delete the old metrics:\n\n"
        '    psql  -c "truncate pgwatch.metric" pgwatch\n'
        "    psql -f /etc/pgwatch/metric_definitions.sql pgwatch\n\n"
        "```bash\npsql --command='create database pgwatch owner pgwatch'\n"
        "psql -v ON_ERROR_STOP=1 <<-EOSQL\n"
        "    CREATE USER openstreetmap SUPERUSER;\n"
        "    GRANT ALL PRIVILEGES ON DATABASE openstreetmap\n"
        "      TO openstreetmap;\n"
        "EOSQL\n```\n"
        "Run psql and type your queries; see the psql manual.\n",
        [
            (3, 15, "truncate pgwatch.metric", 0),
            (7, 17, "create database pgwatch owner pgwatch", 0),
            (9, 5, "CREATE USER openstreetmap SUPERUSER", 0),
            (10, 5, "GRANT ALL PRIVILEGES ON DATABASE openstreetmap\n      TO openstreetmap", 0),
        ],
    ),
    "start-db.sh": (
        '#!/bin/bash\nif [ ! -f "$firstlaunch" ]; then\n'
        '    psql -U ${pkg.user} -d postgres -c "CREATE DATABASE thingsboard"\nfi\n'
        "psql \"$URL\" -c 'SELECT 1 FROM pg_stat_activity WHERE pid = $1'\n",
        [
            (3, 41, "CREATE DATABASE thingsboard", 0),
            (5, 17, "SELECT 1 FROM pg_stat_activity WHERE pid = $1", 0),
        ],
    ),
    # A script known by its shebang only.
    "bin/reset": (
        "#!/bin/sh\nset -e\npsql -c \"DELETE FROM sessions WHERE user_id = '$USER_ID'\"\n",
        [(3, 10, "DELETE FROM sessions WHERE user_id = '$USER_ID'", 1)],
    ),
    # pgwatch's metric definitions: SQL in block scalars under version keys, statements on their lines.
    "metrics.yaml": (
        "metrics:\n"
        "    archiver:\n"
        "        description: >\n"
        "            This metric selects the number of archived files from pg_stat_archiver.\n"
        "        sqls:\n"
        "            14: |-\n"
        "                select /* pgwatch_generated */\n"
        "                  archived_count\n"
        "                from\n"
        "                  pg_stat_archiver\n"
        "        init_sql: |\n"
        "            CREATE EXTENSION IF NOT EXISTS pg_stat_statements;\n"
        "\n"
        "            GRANT EXECUTE ON FUNCTION get_stat() TO pgwatch;\n"
        "        gauges:\n"
        "            - '*'\n"
        "    queries:\n"
        '        by_name: "SELECT id FROM source WHERE name = $1"\n'
        "        plain: select count(*) from pg_stat_activity  # a comment\n",
        [
            (7, 17, "select /* pgwatch_generated */\n  archived_count\nfrom\n  pg_stat_archiver", 0),
            (12, 13, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", 0),
            (14, 13, "GRANT EXECUTE ON FUNCTION get_stat() TO pgwatch", 0),
            (18, 19, "SELECT id FROM source WHERE name = $1", 0),
            (19, 16, "select count(*) from pg_stat_activity", 0),
        ],
    ),
    # A compose file: psql inside `bash -c "..."`, its quotes escaped.
    "compose.yml": (
        'services:\n  standby:\n    command: |\n      bash -c "\n'
        "        psql -h postgres -c \\\"SELECT * FROM pg_create_physical_replication_slot('standby_slot');\\\"\n"
        '        exec postgres"\n',
        [(5, 31, "SELECT * FROM pg_create_physical_replication_slot('standby_slot')", 0)],
    ),
    # redash's Cypress test: a query text whose Mustache parameter is itself built in JavaScript.
    "widget_spec.js": (
        'const paramName = "count";\n'
        "const queryData = {\n  query: `select s.a FROM generate_series(1,{{ ${paramName} }}) AS s(a)`,\n};\n",
        [(3, 10, "select s.a FROM generate_series(1,{{ ${paramName} }}) AS s(a)", 1)],
    ),
}

# Files of these kinds whose SQL-looking words are not given to anything that runs SQL.
NOTHING = {
    "README.md": "Use psql to connect, then SELECT what you need from the tables.\n\n    psql -f schema.sql\n",
    "config.yml": "title: Select a file from your computer\nlabels:\n  - update the docs\n",
    "deploy.sh": '#!/bin/bash\necho "SELECT * FROM users"\nmysql -e "SELECT 1"\n',
}


def _extract(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return extract_file(str(path), name)


@pytest.mark.parametrize("name", CASES)
def test_statements_are_found_where_they_start(tmp_path, name):
    text, expected = CASES[name]
    result = _extract(tmp_path, name, text)
    assert result.error == "" and result.rejected == []
    found = [(o.line, o.column, o.sql, o.interpolations) for o in result.occurrences]
    assert found == expected
    lines = text.split("\n")
    if name.endswith(".js"):
        return  # a literal of program code is placed at its opening quote
    for line, column, sql, _ in expected:  # the first line of each statement is the file's, at its column
        assert lines[line - 1][column - 1 :].startswith(sql.split("\n")[0])


@pytest.mark.parametrize("name", NOTHING)
def test_sql_words_not_given_to_psql_or_a_sql_key_are_not_queries(tmp_path, name):
    result = _extract(tmp_path, name, NOTHING[name])
    assert result.occurrences == []
    assert all("prose" in rejected.reason for rejected in result.rejected), result.rejected


def test_mustache_parameters_are_interpolations_completed_like_other_templates():
    value = analyse("select count(*) from events where created_at > {{ since }} and kind = '{{ kind }}'")
    assert value.ok and value.statements[0].interpolations == 1  # the one in a literal stays a literal
    name = analyse("SELECT * FROM {{ table }} WHERE id = {{ id }}", hint="api")
    assert name.ok and name.statements[0].interpolations == 2
    assert name.statements[0].tables_read == ("tpl1",)
    nested = analyse("select 1 from t limit {{ " + interpolation("${limit}") + " }}")
    assert nested.ok and nested.statements[0].sql == "select 1 from t limit {{ ${limit} }}"
    assert nested.statements[0].interpolations == 1
