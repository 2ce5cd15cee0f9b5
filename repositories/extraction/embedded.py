"""SQL carried by files that are not program code: what `psql` is given in shell scripts, Makefiles,
Markdown and YAML (`psql -c "..."`, `psql <<SQL ... SQL`), and SQL values of YAML files (pgwatch's
metric definitions: `sqls: {14: |- select ...}`).

Each piece of SQL is split into statements the way a `.sql` file is (sqlfile.py), and every
statement is placed at the line and column where it starts in the file.
"""

from __future__ import annotations

import re

from repositories.extraction.sql import API, interpolation, looks_like_sql
from repositories.extraction.sqlfile import sql_file_candidates
from repositories.extraction.types import Candidate


def placed(text: str, line: int, column: int, indent: int = 0, hint: str = API) -> list[Candidate]:
    """The statements of `text`, which starts at (line, column) of the file; its later lines start
    `indent` columns into theirs (a YAML block scalar's indentation)."""
    found = []
    for candidate in sql_file_candidates(text):
        first = candidate.line == 1
        candidate.column += column - 1 if first else indent
        candidate.line += line - 1
        candidate.hint = hint
        found.append(candidate)
    return found


# ---- psql in shell scripts, Makefiles, Markdown and YAML ----

# The words of a shell command line. Quoted words stay on their line: a quote that does not close
# there ends the command (psql called inside an outer quoted `sh -c '...'`). The value given to -c
# may span lines (_COMMAND_VALUE), and may be quoted with escaped quotes inside `bash -c "..."`.
_SHELL_WORD = re.compile(
    r"""(?P<blank>[ \t]+|\\\n)
      | (?P<dq>"(?:[^"\\\n]|\\.)*")
      | (?P<sq>'[^'\n]*')
      | (?P<heredoc><<-?[ \t]*(?P<hq>['"]?)(?P<htag>[A-Za-z_]\w*)(?P=hq))
      | (?P<end>\n|&&|\|\||[;|&)`])
      | (?P<word>(?:[^\s"'|;&)`\\]|\\.)+)""",
    re.VERBOSE,
)
_COMMAND_VALUE = re.compile(
    r"""(?P<edq>\\"(?:[^\\]|\\[^"])*?\\")
      | (?P<dq>"(?:[^"\\]|\\.)*")
      | (?P<sq>'[^']*')""",
    re.VERBOSE,
)
_PSQL = re.compile(r"(?<![\w./-])psql(?![\w.-])")
_COMMAND_FLAG = re.compile(r"-[A-Za-z0-9]*c|--command=?")
# What the shell (and make, in a Makefile) substitutes inside double quotes and unquoted heredocs.
_SHELL_EXPANSION = r"\$\{[^}\n]*\}|\$\([^)\n]*\)|\$[A-Za-z_]\w*|\$[0-9#?@*!$-]|`[^`\n]*`"
_EXPANSIONS = {
    False: re.compile(_SHELL_EXPANSION),
    # In a Makefile, make expands `$(VAR)`, `${VAR}` and `$X` first; `$$` is a `$` left to the shell.
    True: re.compile(r"\$(?:" + _SHELL_EXPANSION + r")|\$\([^)\n]*\)|\$\{[^}\n]*\}|\$[A-Za-z_0-9@<^+*?%]"),
}
_DQ_ESCAPE = re.compile(r"\\([\"\\$`\n])")


def _expand(body: str, makefile: bool) -> str:
    """A double-quoted shell string's value: escapes undone, expansions marked as interpolations
    (kept as written). Lengths stay where nothing is escaped, so statements keep their columns."""
    body = _EXPANSIONS[makefile].sub(lambda m: interpolation(m.group(0)), body)
    return _DQ_ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), body)


def _heredoc_body(source: str, after: int, tag: str) -> tuple[int, str] | None:
    """(offset, text) of the heredoc body that starts on the line after `after`, up to its tag."""
    start = source.find("\n", after)
    if start == -1:
        return None
    start += 1
    # `<<-` strips leading tabs; indented Markdown examples indent the tag too.
    closing = re.compile(rf"^[ \t]*{re.escape(tag)}[ \t]*$", re.MULTILINE)
    found = closing.search(source, start)
    end = found.start() if found else len(source)
    return start, source[start:end]


def _position(source: str, offset: int) -> tuple[int, int]:
    return source.count("\n", 0, offset) + 1, offset - source.rfind("\n", 0, offset)


def psql_candidates(source: str, makefile: bool = False) -> list[Candidate]:
    """SQL given to `psql` with -c/--command or on its standard input through a heredoc."""
    found: list[Candidate] = []
    for call in _PSQL.finditer(source):
        position, want_command = call.end(), False
        while True:
            word = (_COMMAND_VALUE.match(source, position) if want_command else None) or _SHELL_WORD.match(
                source, position
            )
            if word is None:
                break
            position = word.end()
            kind = word.lastgroup if word.lastgroup not in ("hq", "htag") else "heredoc"
            if kind == "end":
                break
            if kind == "blank":
                continue
            if kind == "heredoc":
                body = _heredoc_body(source, position, word.group("htag"))
                if body is not None:
                    start, text = body
                    if not word.group("hq"):
                        text = _expand(text, makefile) if "$" in text or "`" in text else text
                    found.extend(placed(text, *_position(source, start)))
                continue
            if want_command:
                want_command = False
                value, start = _word_value(kind, word, makefile)
                found.extend(placed(value, *_position(source, start)))
                continue
            text = word.group(0)
            if kind == "word" and _COMMAND_FLAG.fullmatch(text):
                want_command = True
            elif kind == "word" and text.startswith("--command="):
                value = text[len("--command=") :]
                found.extend(placed(value, *_position(source, word.start() + len("--command="))))
    return found


def _word_value(kind: str, word: re.Match, makefile: bool) -> tuple[str, int]:
    """The value of the shell word after -c, and where it starts in the file."""
    text = word.group(0)
    if kind == "dq":
        return _expand(text[1:-1], makefile), word.start() + 1
    if kind == "edq":
        return _expand(text[2:-2], makefile), word.start() + 2
    if kind == "sq":
        return text[1:-1], word.start() + 1
    return text, word.start()


# ---- YAML ----

# A mapping key or list item whose value follows on the same line (after `key:` or `- `).
_YAML_ENTRY = re.compile(
    r"^(?P<indent>[ \t]*)(?:-[ \t]+)*(?:(?P<key>(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s#'\"][^:\n#]*?))[ \t]*:(?:[ \t]+|$))?"
    r"(?P<value>[^\n]*)$",
    re.MULTILINE,
)
_BLOCK = re.compile(r"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?")
# Keys under which a string is SQL that a program runs.
_SQL_KEY = re.compile(r"sql|query|queries|statement|ddl|dml|migration|init", re.IGNORECASE)
_YAML_DQ_ESCAPE = re.compile(r"\\(.)")
_YAML_DQ_MAP = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", "0": "\0"}


def _scalar_value(value: str) -> tuple[str, int] | None:
    """(text, offset within `value`) of a one-line scalar: plain, single- or double-quoted."""
    value = value.rstrip()
    if value.startswith('"') and value.endswith('"') and len(value) > 1:
        return _YAML_DQ_ESCAPE.sub(lambda m: _YAML_DQ_MAP.get(m.group(1), m.group(0)), value[1:-1]), 1
    if value.startswith("'") and value.endswith("'") and len(value) > 1:
        return value[1:-1].replace("''", "'"), 1
    if value and value[0] not in "\"'[{&*!|>%@`#":
        comment = value.find(" #")
        return (value[:comment] if comment != -1 else value).rstrip(), 0
    return None


def _block(lines: list[str], first: int, parent_indent: int) -> tuple[int, int, list[str]]:
    """A block scalar's content lines after line index `first`: (index of its first line, its
    indentation, the lines with it removed)."""
    end, indent = first + 1, None
    while end < len(lines):
        line = lines[end]
        if line.strip():
            width = len(line) - len(line.lstrip(" "))
            if width <= parent_indent:
                break
            indent = width if indent is None else indent
        end += 1
    while end > first + 1 and not lines[end - 1].strip():
        end -= 1
    indent = indent or 0
    return first + 1, indent, [line[indent:] for line in lines[first + 1 : end]]


def yaml_candidates(source: str) -> list[Candidate]:
    """SQL strings of a YAML file: block scalars and one-line scalars that start like a statement,
    and what its commands give to psql. A value under a key that names SQL (`sql`, `query`, ...,
    or a parent's) is taken as run by the program that reads the file."""
    lines = source.split("\n")
    found: list[Candidate] = []
    keys: list[tuple[int, str]] = []  # (indent, key) of the mappings around the current line
    index = 0
    while index < len(lines):
        entry = _YAML_ENTRY.match(lines[index])
        if entry is None or not lines[index].strip() or lines[index].lstrip().startswith("#"):
            index += 1
            continue
        indent = len(entry.group("indent"))
        while keys and keys[-1][0] >= indent:
            keys.pop()
        key = entry.group("key") or ""
        if key:
            keys.append((indent, key))
        value = entry.group("value")
        hint = API if any(_SQL_KEY.search(name) for _, name in keys[-3:]) else ""
        if _BLOCK.fullmatch(value.strip()):
            first, width, body = _block(lines, index, indent)
            text = "\n".join(body)
            if value.lstrip().startswith(">"):  # folded: newlines become spaces, lines no longer map
                text = " ".join(text.split("\n"))
                if looks_like_sql(text):
                    found.append(Candidate(text.strip(), first + 1, width + 1, hint=hint))
            elif looks_like_sql(text):
                found.extend(placed(text, first + 1, width + 1, width, hint))
            index = first + len(body)
            continue
        scalar = _scalar_value(value)
        if scalar is not None and looks_like_sql(scalar[0]):
            text, offset = scalar
            column = entry.start("value") - entry.start() + offset + 1
            found.extend(placed(text, index + 1, column, 0, hint))
        index += 1
    return found
