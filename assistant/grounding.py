"""Schema grounding: pick the tables a question needs and render them as bounded context for a model.

Plain Python, plain inputs and outputs (no Django): the caller converts its synced metadata to `Table`s.

Method: the question and every table (name, column names, comments) are cut into word tokens
(snake_case and camelCase split, plurals folded, a small synonym table mapping e.g. client to customer),
tables are scored with BM25 (the table name counts more than its columns), the best ones are kept, and
the tables on the shortest foreign-key paths between them are added so the model can write the joins.
The rendered context stops at a character budget, so a 2,000-table database costs no more than a small one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

__all__ = [
    "Column",
    "ForeignKey",
    "Grounding",
    "ScannedQuery",
    "SelectedTable",
    "Table",
    "ground",
    "render_schema",
    "tables_from_catalog",
    "tokenize",
]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    comment: str = ""
    foreign_keys: tuple[ForeignKey, ...] = ()
    # A partition names its parent ("schema.table"): it is never selected, its parent stands for it.
    partition_of: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class ScannedQuery:
    """A query found in the project's code, with the qualified names of the tables it touches."""

    sql: str
    tables: tuple[str, ...]


@dataclass
class SelectedTable:
    table: str  # qualified name
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Grounding:
    tables: list[SelectedTable]
    context: str

    @property
    def table_names(self) -> list[str]:
        return [t.table for t in self.tables]


# Words that say nothing about which table is meant.
STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or not no is are was were be been do does did have has
    had which what who whom whose when how many much most least more less than each every per all any
    list show give find get top their its his her them they this that these those there it me my our we
    number count total average avg sum max min named name called ever never yet only over under above below
    after before between into out up id ids""".split()
)

# Equivalent words, each mapped to one canonical token (both sides singular).
SYNONYMS = {
    "client": "customer",
    "buyer": "customer",
    "movie": "film",
    "song": "track",
    "tune": "track",
    "bill": "invoice",
    "billed": "invoice",
    "staff": "employee",
    "worker": "employee",
    "agent": "employee",
    "rep": "employee",
    "representative": "employee",
    "manager": "employee",
    "purchase": "order",
    "bought": "order",
    "sale": "order",
    "sold": "order",
    "ordered": "order",
    "item": "item",
    "line": "item",
    "detail": "item",
    "actress": "actor",
    "performer": "actor",
    "genre": "genre",
    "category": "category",
    "kind": "category",
    "vendor": "supplier",
    "supplied": "supplier",
    "provider": "provider",
    "shipping": "shipper",
    "carrier": "shipper",
    "rented": "rental",
    "rent": "rental",
    "paid": "payment",
    "pay": "payment",
    "revenue": "payment",
    "shop": "store",
    "musician": "artist",
    "band": "artist",
    "record": "album",
    "stock": "stock",
    "language": "language",
    # Where someone or something is: the address (and its city and country) tables.
    "live": "address",
    "located": "address",
    "location": "address",
    "where": "address",
}

# A country named in a question points at the tables with a country.
COUNTRIES = frozenset(
    """usa us america canada mexico brazil argentina uk britain england ireland france germany spain portugal
    italy netherlands belgium switzerland austria poland sweden norway denmark finland russia india china japan
    australia""".split()
)

IRREGULAR_SINGULARS = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "data": "data",
    "movies": "movie",
    "cookies": "cookie",
}

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def singular(word: str) -> str:
    if word in IRREGULAR_SINGULARS:
        return IRREGULAR_SINGULARS[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Word tokens of a question or identifier: split on case and punctuation, singular, canonical synonym."""
    tokens = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        for part in _CAMEL.findall(chunk):
            word = singular(part.lower())
            if word in STOPWORDS or part.isdigit():
                continue
            tokens.append("country" if word in COUNTRIES else SYNONYMS.get(word, word))
    return tokens


# --- scoring -----------------------------------------------------------------------------------------------

NAME_WEIGHT = 4  # a word in the table's name says more than the same word in one of its columns
K1, B = 1.2, 0.75


def _document(table: Table) -> list[str]:
    words = tokenize(table.name) * NAME_WEIGHT + tokenize(table.comment)
    for column in table.columns:
        words += tokenize(column.name) + tokenize(column.comment)
    return words


class _BM25:
    def __init__(self, documents: Sequence[list[str]]):
        self.counts = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if documents else 0.0
        frequency = Counter(word for counts in self.counts for word in counts)
        total = len(documents)
        self.idf = {w: math.log(1 + (total - n + 0.5) / (n + 0.5)) for w, n in frequency.items()}

    def score(self, index: int, query: Iterable[str]) -> dict[str, float]:
        """Per query word, its contribution to document `index` (words absent from it are left out)."""
        counts, length = self.counts[index], self.lengths[index]
        norm = K1 * (1 - B + B * length / self.avg_length) if self.avg_length else K1
        out = {}
        for word in set(query):
            tf = counts.get(word, 0)
            if tf:
                out[word] = self.idf[word] * tf * (K1 + 1) / (tf + norm)
        return out


# --- foreign-key graph ----------------------------------------------------------------------------------


def _fk_graph(tables: dict[str, Table]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in tables}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            target = f"{fk.ref_schema}.{fk.ref_table}"
            if target in graph and target != name:
                graph[name].add(target)
                graph[target].add(name)
    return graph


def _shortest_path(graph: dict[str, set[str]], start: str, goal: str, max_hops: int) -> list[str] | None:
    previous = {start: None}
    queue = deque([(start, 0)])
    while queue:
        node, hops = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        if hops == max_hops:
            continue
        for neighbour in sorted(graph[node]):
            if neighbour not in previous:
                previous[neighbour] = node
                queue.append((neighbour, hops + 1))
    return None


# --- rendering ----------------------------------------------------------------------------------------------


def _render_table(table: Table, referenced_by: list[str], examples: list[str]) -> str:
    head = f"TABLE {table.qualified}" + (f"  -- {table.comment}" if table.comment else "")
    lines = [head]
    for column in table.columns:
        lines.append(f"  {column.name} {column.type}" + (f"  -- {column.comment}" if column.comment else ""))
    for fk in table.foreign_keys:
        ref_cols = ", ".join(fk.ref_columns)
        lines.append(f"  FK ({', '.join(fk.columns)}) -> {fk.ref_schema}.{fk.ref_table}({ref_cols})")
    if referenced_by:
        lines.append(f"  referenced by: {', '.join(referenced_by)}")
    for sql in examples:
        lines.append(f"  example: {' '.join(sql.split())}")
    return "\n".join(lines) + "\n"


def _referenced_by(tables: dict[str, Table]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {name: [] for name in tables}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            target = f"{fk.ref_schema}.{fk.ref_table}"
            if target in out and name not in out[target]:
                out[target].append(name)
    return out


def render_schema(tables: Iterable[Table]) -> str:
    """The whole schema in the same format as the context: what sending everything would cost."""
    by_name = {t.qualified: t for t in tables}
    referenced = _referenced_by(by_name)
    return "".join(_render_table(t, referenced[name], []) for name, t in by_name.items())


# --- selection ------------------------------------------------------------------------------------------------


def _rank(question_tokens: list[str], tables: list[Table]) -> list[SelectedTable]:
    index = _BM25([_document(t) for t in tables])
    ranked = []
    for i, table in enumerate(tables):
        contributions = index.score(i, question_tokens)
        if not contributions:
            continue
        name_words = set(tokenize(table.name))
        reasons = [
            f"name matches '{w}'" if w in name_words else f"column or comment matches '{w}'"
            for w in sorted(contributions, key=contributions.get, reverse=True)
        ]
        ranked.append(SelectedTable(table.qualified, sum(contributions.values()), reasons))
    ranked.sort(key=lambda s: (-s.score, s.table))
    return ranked


def _top(ranked: list[SelectedTable], max_seeds: int, min_ratio: float) -> list[SelectedTable]:
    """The best tables: those scoring at least `min_ratio` of the best one, at most `max_seeds`."""
    if not ranked:
        return []
    floor = ranked[0].score * min_ratio
    return [s for s in ranked[:max_seeds] if s.score >= floor]


def _connect(seeds: list[SelectedTable], graph: dict[str, set[str]], max_hops: int) -> list[SelectedTable]:
    """Tables on the shortest FK path between each pair of seeds, so the joins can be written."""
    chosen = {s.table for s in seeds}
    added: dict[str, SelectedTable] = {}
    names = [s.table for s in seeds]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            path = _shortest_path(graph, a, b, max_hops)
            for middle in (path or [])[1:-1]:
                if middle not in chosen:
                    chosen.add(middle)
                    added[middle] = SelectedTable(middle, 0.0, [f"joins {a} to {b}"])
    return list(added.values())


def _parents(seeds: list[SelectedTable], tables: dict[str, Table], taken: set[str]) -> list[SelectedTable]:
    """The tables the seeds' foreign keys point to, best seed first: lookups a question names by value ('AC/DC'
    is an artist, 'comedy' a category) rather than by table, so no word of it matches their names. Rendered
    last, so the char budget drops them before any table the question's words chose."""
    added: dict[str, SelectedTable] = {}
    for seed in seeds:
        for fk in tables[seed.table].foreign_keys:
            target = f"{fk.ref_schema}.{fk.ref_table}"
            if target in tables and target not in taken and target not in added:
                added[target] = SelectedTable(target, 0.0, [f"referenced by {seed.table}"])
    return list(added.values())


def _fold_partitions(tables: Sequence[Table]) -> dict[str, Table]:
    """Tables by qualified name, partitions left out; foreign keys declared only on partitions go to the parent."""
    by_name = {t.qualified: t for t in tables if not t.partition_of}
    for partition in tables:
        parent = by_name.get(partition.partition_of)
        if parent is None:
            continue
        extra = tuple(fk for fk in partition.foreign_keys if fk not in parent.foreign_keys)
        if extra:
            by_name[parent.qualified] = replace(parent, foreign_keys=parent.foreign_keys + extra)
    return by_name


def _examples_for(queries: Sequence[ScannedQuery], per_table: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for query in queries:
        for name in query.tables:
            bucket = out.setdefault(name, [])
            if len(bucket) < per_table:
                bucket.append(query.sql)
    return out


def ground(
    question: str,
    tables: Sequence[Table],
    queries: Sequence[ScannedQuery] = (),
    *,
    char_budget: int = 8000,
    max_seeds: int = 10,
    min_ratio: float = 0.2,
    max_hops: int = 4,
    examples_per_table: int = 2,
    example_chars: int = 300,
) -> Grounding:
    """Select the tables `question` needs from `tables` and render them within `char_budget` characters.

    Tables are returned best first, each with why it was picked; the context holds exactly those tables.
    """
    if char_budget <= 0:
        raise ValueError("char_budget must be positive")
    by_name = _fold_partitions(tables)
    seeds = _top(_rank(tokenize(question), list(by_name.values())), max_seeds, min_ratio)
    candidates = seeds + _connect(seeds, _fk_graph(by_name), max_hops)
    candidates += _parents(candidates, by_name, {c.table for c in candidates})

    referenced = _referenced_by(by_name)
    examples = _examples_for([q for q in queries if len(q.sql) <= example_chars], examples_per_table)
    selected, parts, used = [], [], 0
    for candidate in candidates:
        name = candidate.table
        # Neighbours listed only when they are in the context too: the rest would be noise at 2,000 tables.
        neighbours = [n for n in referenced[name] if n in {c.table for c in candidates}]
        text = _render_table(by_name[name], neighbours, examples.get(name, []))
        if used + len(text) > char_budget:
            text = _render_table(by_name[name], neighbours, [])  # drop the examples before the table
            if used + len(text) > char_budget:
                continue
        selected.append(candidate)
        parts.append(text)
        used += len(text)
    return Grounding(tables=selected, context="".join(parts))


def tables_from_catalog(tables: Iterable[dict], columns: Iterable[dict], foreign_keys: Iterable[dict]) -> list[Table]:
    """Tables from the records schema_metadata's catalog reader gives (and the sync stores), as plain dicts."""
    by_key = {(t["schema_name"], t["name"]): t for t in tables}
    cols: dict[tuple[str, str], list[Column]] = {k: [] for k in by_key}
    for c in sorted(columns, key=lambda c: c["ordinal_position"]):
        cols.setdefault((c["schema_name"], c["table_name"]), []).append(Column(c["column_name"], c["column_type"]))
    fks: dict[tuple[str, str], list[ForeignKey]] = {k: [] for k in by_key}
    for fk in foreign_keys:
        fks.setdefault((fk["schema_name"], fk["table_name"]), []).append(
            ForeignKey(tuple(fk["columns"]), fk["referred_schema"], fk["referred_table"], tuple(fk["referred_columns"]))
        )
    return [
        Table(
            schema=schema,
            name=name,
            columns=tuple(cols[(schema, name)]),
            comment=record.get("comment", ""),
            foreign_keys=tuple(fks[(schema, name)]),
            partition_of=f"{record['parent_schema']}.{record['parent_table']}" if record.get("parent_table") else "",
        )
        for (schema, name), record in by_key.items()
    ]
