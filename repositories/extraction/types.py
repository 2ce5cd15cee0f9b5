"""Plain results of the extraction engine: no Django, picklable across processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter


class _Compact:
    """Pickles as (class, field values): results cross process boundaries by the ten thousand,
    and the default pickling of slotted dataclasses is ten times slower."""

    __slots__ = ()
    # An attrgetter of every slot collects the values at C speed. Made on first use, per class:
    # @dataclass(slots=True) only gives the class its __slots__ after the class statement.
    _fields = None

    def __reduce__(self):
        cls = type(self)
        if cls._fields is None:
            cls._fields = attrgetter(*cls.__slots__)
        return (cls, cls._fields(self))


@dataclass(slots=True)
class Candidate(_Compact):
    """A string in the code that may hold SQL, before pglast has looked at it."""

    text: str
    line: int
    column: int
    # "jpql" when the surrounding code says the string is not native SQL (e.g. @Query without nativeQuery).
    hint: str = ""
    name: str = ""
    # Where the code that writes the string ends (line, column; 0 when unknown): the code after it
    # may go on extending the string (see continuations.py).
    end_line: int = 0
    end_column: int = 0


@dataclass(slots=True)
class Occurrence(_Compact):
    """One SQL statement found at one place in the code."""

    file: str
    line: int
    column: int
    language: str
    context: str
    sql: str
    normalized: str
    fingerprint: str
    statement_type: str
    tables_read: tuple[str, ...] = ()
    tables_written: tuple[str, ...] = ()
    name: str = ""
    # > 0: the code interpolates this many pieces (names, clauses, values) into the text; the
    # statement was completed with stand-ins to parse and fingerprint it.
    interpolations: int = 0


@dataclass(slots=True)
class Rejected(_Compact):
    """A string that looked like SQL but is not PostgreSQL we can use, with the reason."""

    file: str
    line: int
    column: int
    language: str
    text: str
    reason: str
    context: str = ""


@dataclass(slots=True)
class FileResult(_Compact):
    path: str
    language: str
    size: int
    occurrences: list[Occurrence] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # Why the file could not be read or analysed (a per-file problem: the scan goes on), or "".
    error: str = ""
