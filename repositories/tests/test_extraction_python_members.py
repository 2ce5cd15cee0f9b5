"""A long Python class is parsed member by member: statements keep their lines, and a member that
does not parse alone (a guessed boundary inside a string) falls back to parsing the whole file."""

from repositories.extraction.python_lang import MEMBER_SPLIT_LINES, python_candidates

FILLER = "".join(f"    def helper_{n}(self):\n        return {n}\n\n" for n in range(MEMBER_SPLIT_LINES // 3 + 5))


def test_a_method_of_a_long_class_keeps_the_line_of_its_statement():
    source = (
        "import db\n\n\n@register\nclass Runner(Base):\n    name = 'x'\n\n"
        + FILLER
        + "    @property\n    def rows(self):\n        return db.execute(\n"
        + '            "SELECT id FROM users WHERE active"\n        )\n'
    )
    line = source.split("\n").index('            "SELECT id FROM users WHERE active"') + 1
    found = python_candidates(source, [line])
    assert [(c.line, c.column, c.text, c.hint) for c in found] == [
        (line, 13, "SELECT id FROM users WHERE active", "api")
    ]


def test_a_member_boundary_inside_a_string_falls_back_to_the_whole_file():
    source = (
        "class Runner:\n"
        + FILLER
        + '    DOC = """\n    def not_a_method():\n    """\n'
        + '    def rows(self, cur):\n        cur.execute("SELECT 1 FROM t")\n'
    )
    line = source.split("\n").index('        cur.execute("SELECT 1 FROM t")') + 1
    found = python_candidates(source, [line])
    assert [(c.line, c.text) for c in found] == [(line, "SELECT 1 FROM t")]
