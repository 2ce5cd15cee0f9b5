"""A file whose analysis kills its worker process (a crash in native code, the kernel's OOM killer)
costs only that file: the chunks lost with the pool are run again, halved, until the file alone
kills its process; it becomes a per-file problem and every other file's queries are kept.

The worker really dies: the extraction function is wrapped in this process before the pool forks
its workers, so a worker calls os._exit on the chosen file. Production code has no hook for this.
"""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from repositories.extraction import engine

FILES = 13
CHOSEN = "pkg/file_07.sql"


def _forking_pool(workers: int) -> ProcessPoolExecutor:
    # fork, so that workers run this process's (wrapped) extraction function; the production pool
    # starts its workers from a fresh forkserver, which would import the module unwrapped.
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


@pytest.fixture
def tree(tmp_path):
    for number in range(FILES):
        path = tmp_path / "pkg" / f"file_{number:02d}.sql"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"SELECT id, name FROM table_{number:02d} WHERE id = $1;\n")
    return tmp_path


@pytest.fixture
def dying_worker(monkeypatch):
    """Workers die on CHOSEN, and the shared pools are new before and after the test."""
    extract = engine.extract_file

    def extract_or_die(absolute: str, relative: str):
        if relative == CHOSEN and multiprocessing.parent_process() is not None:
            os._exit(70)
        return extract(absolute, relative)

    engine.close_shared_pools()
    monkeypatch.setattr(engine, "_pool", _forking_pool)
    monkeypatch.setattr(engine, "extract_file", extract_or_die)
    yield
    engine.close_shared_pools()


@pytest.mark.parametrize("chunk_size", [1, 3, 20])
def test_a_worker_that_dies_on_one_file_costs_only_that_file(tree, dying_worker, chunk_size):
    results = []
    totals = engine.scan_tree(
        str(tree), on_results=lambda chunk: results.extend(chunk.results), workers=2, chunk_size=chunk_size
    )

    problems = [(result.path, result.error) for result in results if result.error]
    assert problems == [(CHOSEN, engine.CRASHED)]
    kept = sorted(occurrence.file for result in results for occurrence in result.occurrences)
    assert kept == sorted(
        f"pkg/file_{number:02d}.sql" for number in range(FILES) if f"pkg/file_{number:02d}.sql" != CHOSEN
    )
    assert (totals.files, totals.occurrences, totals.problems) == (FILES, FILES - 1, 1)


def test_the_pool_works_again_after_a_worker_died(tree, dying_worker):
    engine.scan_tree(str(tree), on_results=lambda chunk: None, workers=2, chunk_size=2)
    (tree / CHOSEN).unlink()
    results = []
    totals = engine.scan_tree(
        str(tree), on_results=lambda chunk: results.extend(chunk.results), workers=2, chunk_size=2
    )
    assert [result.error for result in results if result.error] == []
    assert totals.occurrences == FILES - 1
