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

_KEY = r"(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s#'\"\-|>][^:\n#]*?)"
_KEYWORD = rb"(?:select|insert|update|delete|with|create|alter|drop|truncate|merge|copy)\b(?![ \t]*:)"
# On the lower-cased bytes, each pattern starting with a literal character so that the regex engine
# skips to it at C speed (a locale file holds thousands of values, a handful of them SQL-looking):
# a one-line value after `key:` or `- ` that starts like a statement, and a block scalar's opener.
_SCALAR_HIT = re.compile(rb":[ \t]+[\"'`]?[(\s]*" + _KEYWORD)
_ITEM_HIT = re.compile(rb"-[ \t]+[\"'`]?[(\s]*" + _KEYWORD)
_BLOCK_HITS = (re.compile(rb":[ \t]*[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\n"), re.compile(rb"-[ \t]+[|>][-+0-9]*[ \t]*\n"))
# The block's text starts like a statement (after blank lines and SQL comments).
_BLOCK_STARTS_SQL = re.compile(rb"(?:[ \t]*\n)*[ \t]*(?:--[^\n]*\n[ \t]*|/\*[\s\S]*?\*/\s*)*" + _KEYWORD)
_LINE = re.compile(r"(?P<indent>[ \t]*)(?:-[ \t]+)*(?:(?P<key>" + _KEY + r")[ \t]*:[ \t]+)?(?P<value>[^\n]*)")
_KEY_LINE = re.compile(r"[ \t]*(?:-[ \t]+)*(?P<key>" + _KEY + r")[ \t]*:(?:[ \t]|$)")
_BLOCK_OPENER = re.compile(r"(?:^|[:\-][ \t]+|:)(?P<block>[|>][-+0-9]*)[ \t]*(?:#[^\n]*)?$")
# Keys under which a string is SQL that a program runs.
_SQL_KEY = re.compile(r"sql|query|queries|statement|ddl|dml|migration|init", re.IGNORECASE)
_YAML_DQ_ESCAPE = re.compile(r"\\(.)")
_YAML_DQ_MAP = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/", "0": "\0"}
ANCESTORS = 2  # keys above a value that may say it is SQL (`sqls:` then `14: |`)


def yaml_gate(lowered: bytes) -> list[int]:
    """Lines (1-based, sorted) of the YAML file where a value may start like a statement: a key's or
    a list item's one-line value, or a block scalar's opener. `lowered` is the file's bytes
    lower-cased. Only these lines are read as YAML."""
    starts = set()
    for pattern in (_SCALAR_HIT, _ITEM_HIT):
        for hit in pattern.finditer(lowered):
            starts.add(lowered.rfind(b"\n", 0, hit.start()) + 1)
    for pattern in _BLOCK_HITS:
        for hit in pattern.finditer(lowered):
            if _BLOCK_STARTS_SQL.match(lowered, hit.end()):
                starts.add(lowered.rfind(b"\n", 0, hit.start()) + 1)
    lines, line, counted = [], 1, 0
    for start in sorted(starts):
        line += lowered.count(b"\n", counted, start)
        counted = start
        lines.append(line)
    return lines


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


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


class _Outline:
    """The lines of a YAML file and each one's parent: the nearest line above it indented less (blank
    lines and comments aside). A parent found once is remembered, and the search jumps over what it
    knows: every line between a line and that line's parent is indented at least as deep. Walking up
    line by line made a long file quadratic (each metric's key walked back over every metric above)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self._parents: dict[int, int | None] = {}

    def parent(self, index: int) -> int | None:
        if index in self._parents:
            return self._parents[index]
        lines, known = self.lines, self._parents
        indent = _indent(lines[index])
        found, above = None, index - 1 if indent > 0 else -1
        while above >= 0:
            line = lines[above]
            if line.strip() and not line.lstrip().startswith("#"):
                if _indent(line) < indent:
                    found = above
                    break
                if above in known:  # indented at least as deep: its own parent is the next to look at
                    if known[above] is None:
                        break
                    above = known[above]
                    continue
            above -= 1
        known[index] = found
        return found

    def keys_above(self, index: int) -> list[str]:
        """The keys of up to ANCESTORS mappings around line `index`, nearest first."""
        keys = []
        while len(keys) < ANCESTORS and (index := self.parent(index)) is not None:
            key = _KEY_LINE.match(self.lines[index])
            if key:
                keys.append(key.group("key"))
        return keys


def _block(lines: list[str], opener: int) -> tuple[int, int]:
    """(end index, indentation) of the block scalar whose opening line is `opener`."""
    parent_indent, end, width = _indent(lines[opener]), opener + 1, None
    while end < len(lines):
        if lines[end].strip():
            if _indent(lines[end]) <= parent_indent:
                break
            width = _indent(lines[end]) if width is None else width
        end += 1
    while end > opener + 1 and not lines[end - 1].strip():
        end -= 1
    return end, width or 0


def _hint(outline: _Outline, index: int, key: str) -> str:
    keys = [key, *outline.keys_above(index)]
    return API if any(_SQL_KEY.search(name) for name in keys) else ""


def yaml_candidates(source: str, hit_lines: list[int] | None = None) -> list[Candidate]:
    """SQL strings of a YAML file: block scalars and one-line scalars that start like a statement.
    A value under a key that names SQL (`sql`, `query`, ..., or one of its parents) is taken as run
    by the program that reads the file. `hit_lines`: yaml_gate() of the file (None: found here)."""
    if hit_lines is None:
        hit_lines = yaml_gate(source.lower().encode())
    lines = source.split("\n")
    outline = _Outline(lines)
    found: list[Candidate] = []
    covered = -1  # the last line of the last block read: hits inside it are its own lines
    for number in hit_lines:
        index = number - 1
        if index <= covered or index >= len(lines):
            continue
        line = _LINE.match(lines[index])
        value = line.group("value")
        if _BLOCK_OPENER.search(lines[index]):
            opener = index
        elif line.group("key") or line.group(0)[line.end("indent") :].startswith("-"):
            scalar = _scalar_value(value)
            if scalar is not None and looks_like_sql(scalar[0]):
                text, offset = scalar
                column = line.start("value") + offset + 1
                found.extend(placed(text, number, column, 0, _hint(outline, index, line.group("key") or "")))
            continue
        else:
            # Text alone on its line: the first statement of a block scalar opened above it, or nothing.
            opener = outline.parent(index)
        block = _BLOCK_OPENER.search(lines[opener]) if opener is not None else None
        if block is None:
            continue
        end, width = _block(lines, opener)
        covered = end - 1
        text = "\n".join(text[width:] for text in lines[opener + 1 : end])
        folded = block.group("block").startswith(">")
        if folded:  # newlines become spaces: lines no longer map
            text = " ".join(text.split())
        if not looks_like_sql(text):
            continue
        key = _KEY_LINE.match(lines[opener])
        hint = _hint(outline, opener, key.group("key") if key else "")
        if folded:
            found.append(Candidate(text, opener + 2, width + 1, hint=hint))
        else:
            found.extend(placed(text, opener + 2, width + 1, width, hint))
    return found
