import psycopg
import pytest

from optimizer.models import OptimizationRun, Suggestion
from schema_metadata.models import DatabaseConnection
from tests.factories import ProjectFactory


@pytest.fixture
def film_db(scratch_database):
    """A target database with a `film` table; `title` holds duplicates (a UNIQUE index on it fails)."""
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE film (id serial PRIMARY KEY, title text NOT NULL, rating text)")
        conn.execute(
            "INSERT INTO film (title, rating) SELECT 'film ' || (g % 500), 'G' FROM generate_series(1, 2000) g"
        )
    return scratch_database


@pytest.fixture
def make_connection(project):
    """`make_connection(url, environment=..., read_only=...)`: a DatabaseConnection of `project`."""

    def make(url, *, environment="development", read_only=False, name=None, on_project=None):
        target_project = on_project or project
        return DatabaseConnection.objects.create(
            project=target_project,
            name=name or f"{environment} db {DatabaseConnection.objects.count() + 1}",
            url=url,
            environment=environment,
            read_only=read_only,
        )

    return make


@pytest.fixture
def make_suggestion(org, project, admin_user):
    """`make_suggestion(kind, sql, connection=None, query=...)`: an optimizer suggestion of `org`."""

    def make(kind, sql, *, connection=None, query="SELECT * FROM film WHERE title = 'x'", fingerprint="", **fields):
        run = OptimizationRun.objects.create(
            project=project,
            organization=org,
            connection=connection,
            user=admin_user,
            query=query,
            fingerprint=fingerprint,
            cost_before=1000.0,
        )
        defaults = {"rationale": "Seq scan on film", "cost_before": 1000.0, "cost_after": 8.3, "speedup": 120.0}
        return Suggestion.objects.create(run=run, kind=kind, sql=sql, **{**defaults, **fields})

    return make


@pytest.fixture
def other_project(other_org_user):
    return ProjectFactory(organization=other_org_user.organization, created_by=other_org_user)


def index_rows(url, table="film"):
    """(name, is_valid) of every index on `table` except the primary key."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            """
            SELECT c.relname, i.indisvalid FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY 1
            """,
            [table],
        ).fetchall()
