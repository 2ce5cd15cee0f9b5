"""SQL extraction from source code: plain Python, no Django (runs in worker processes)."""

from repositories.extraction.engine import (
    LANGUAGES,
    ChunkResult,
    ScanTotals,
    count_source_files,
    extract_file,
    extract_source,
    iter_source_files,
    language_for,
    scan_tree,
)
from repositories.extraction.sql import analyse, looks_like_sql, to_parameters
from repositories.extraction.types import FileResult, Occurrence, Rejected

__all__ = [
    "LANGUAGES",
    "FileResult",
    "Occurrence",
    "Rejected",
    "ChunkResult",
    "ScanTotals",
    "analyse",
    "count_source_files",
    "extract_file",
    "extract_source",
    "iter_source_files",
    "language_for",
    "looks_like_sql",
    "scan_tree",
    "to_parameters",
]
