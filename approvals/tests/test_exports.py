"""Exports: SQL and Django migrations for index/DDL, a unified diff for a rewrite found by a scan."""

import subprocess

import pytest

from approvals import exports, services
from audit.models import AuditEvent
from dbooster.errors import Unprocessable
from repositories.extraction.engine import context_around
from repositories.models import ExtractedQuery, QueryOccurrence, ScanRun

CODE = """import db


def films_named(cur, title):
    # the slow one
    cur.execute("SELECT * FROM film WHERE lower(title) = lower(%s)", [title])
    return cur.fetchall()


def count(cur):
    return cur.execute("SELECT count(*) FROM film").fetchone()
"""
ORIGINAL = "SELECT * FROM film WHERE lower(title) = lower(%s)"
REWRITE = "SELECT film_id, title\n  FROM film\n WHERE title = %s"


@pytest.fixture
def occurrence(project):
    scan = ScanRun.objects.create(project=project, source="upload", status="succeeded", upload_name="app.zip")
    query = ExtractedQuery.objects.create(
        project=project, fingerprint="fp-slow", normalized_text=ORIGINAL, sql=ORIGINAL, statement_type="select"
    )
    return QueryOccurrence.objects.create(
        query=query,
        scan=scan,
        file_path="app/films.py",
        line=6,
        language="python",
        context=context_around(CODE.split("\n"), 6),
    )


def _git_apply(tmp_path, patch: str) -> str:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "films.py").write_text(CODE)
    (tmp_path / "change.patch").write_text(patch)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = subprocess.run(["git", "apply", "change.patch"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return (tmp_path / "app" / "films.py").read_text()


class TestRewritePatch:
    def test_from_a_scanned_suggestion_the_patch_applies(
        self, member, admin_user, make_suggestion, occurrence, tmp_path, client_for
    ):
        suggestion = make_suggestion("rewrite", REWRITE, query=ORIGINAL, fingerprint="fp-slow")
        proposal = services.proposal_submit_suggestion(actor=member, suggestion_id=suggestion.pk)
        assert (proposal.source_file, proposal.source_line, proposal.original_query) == ("app/films.py", 6, ORIGINAL)
        assert proposal.source_context_start == 4
        client = client_for(member)
        assert client.get(f"/approvals/{proposal.pk}/export", {"format": "patch"}).status_code == 409  # not approved
        services.proposal_approve(proposal=proposal, actor=admin_user)
        response = client.get(f"/approvals/{proposal.pk}/export", {"format": "patch"})
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="dbooster_proposal_{proposal.pk}.patch"'
        patched = _git_apply(tmp_path, response.content.decode())
        assert 'cur.execute("SELECT film_id, title FROM film WHERE title = %s", [title])' in patched
        assert ORIGINAL not in patched
        assert patched.count("\n") == CODE.count("\n")
        assert AuditEvent.objects.filter(action="approval.export", metadata__format="patch").count() == 1

    def test_sql_format_is_refused_for_a_rewrite(self, member, admin_user, make_suggestion, occurrence, client_for):
        suggestion = make_suggestion("rewrite", REWRITE, query=ORIGINAL, fingerprint="fp-slow")
        proposal = services.proposal_submit_suggestion(actor=member, suggestion_id=suggestion.pk)
        services.proposal_approve(proposal=proposal, actor=admin_user)
        response = client_for(member).get(f"/approvals/{proposal.pk}/export", {"format": "sql"})
        assert response.status_code == 400 and response.json()["code"] == "invalid_format"

    def test_rewrite_without_a_scan_says_so(self, member, admin_user, project, client_for):
        proposal = services.proposal_submit_sql(
            actor=member, kind="rewrite", sql="SELECT id FROM film", reason="narrower", project_id=project.pk
        )
        services.proposal_approve(proposal=proposal, actor=admin_user)
        response = client_for(member).get(f"/approvals/{proposal.pk}/export", {"format": "patch"})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "no_source_location" and body["replacement_sql"] == "SELECT id FROM film"

    def test_text_not_in_the_stored_lines_is_422_not_a_wrong_patch(self):
        with pytest.raises(Unprocessable) as exc:
            exports.rewrite_patch(
                proposal_id=1,
                file_path="a.py",
                line=3,
                context="x = 1\ny = 2\nq = build_query()\n",
                context_start=1,
                original="SELECT * FROM film",
                replacement="SELECT id FROM film",
            )
        assert exc.value.code == "patch_context_unavailable"

    def test_multi_line_query_keeps_its_lines(self, tmp_path):
        code = 'SQL = """\nSELECT *\nFROM film\nWHERE title = %s\n"""\nrun(SQL)\n'
        patch = exports.rewrite_patch(
            proposal_id=2,
            file_path="q.py",
            line=1,
            context="\n".join(code.split("\n")[0:3]) + "\n" + "\n".join(code.split("\n")[3:5]),
            context_start=1,
            original="SELECT *\nFROM film\nWHERE title = %s",
            replacement="SELECT film_id\nFROM film\nWHERE title = %s",
        ).content
        (tmp_path / "q.py").write_text(code)
        (tmp_path / "p.patch").write_text(patch)
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
        result = subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "q.py").read_text() == code.replace("SELECT *", "SELECT film_id")


class TestIndexExport:
    def test_sql_and_django_files(self, member, admin_user, make_connection, client_for):
        connection = make_connection("postgresql://app@db.example.com/shop", environment="production")
        proposal = services.proposal_submit_sql(
            actor=member,
            kind="index",
            sql="CREATE INDEX film_title_idx ON public.film (title)",
            reason="r",
            connection_id=connection.pk,
        )
        services.proposal_approve(proposal=proposal, actor=admin_user, comment="ship")
        client = client_for(member)
        sql_text = client.get(f"/approvals/{proposal.pk}/export", {"format": "sql"}).content.decode()
        assert "CREATE INDEX CONCURRENTLY film_title_idx ON public.film (title);" in sql_text
        assert "BEGIN;" not in sql_text.splitlines()  # CONCURRENTLY cannot run in a transaction
        assert "SET lock_timeout" in sql_text
        django_text = client.get(f"/approvals/{proposal.pk}/export", {"format": "django"}).content.decode()
        namespace = {}
        exec(compile(django_text, "m.py", "exec"), namespace)  # a valid migration module
        migration = namespace["Migration"]
        assert migration.atomic is False
        operation = migration.operations[0]
        assert operation.sql == ["CREATE INDEX CONCURRENTLY film_title_idx ON public.film (title);"]
        assert operation.reverse_sql == ['DROP INDEX CONCURRENTLY IF EXISTS "public"."film_title_idx";']

    def test_unknown_format_and_unapproved(self, member, make_connection, client_for):
        connection = make_connection("postgresql://app@db.example.com/shop")
        proposal = services.proposal_submit_sql(
            actor=member, kind="index", sql="CREATE INDEX ON film (title)", reason="r", connection_id=connection.pk
        )
        client = client_for(member)
        assert client.get(f"/approvals/{proposal.pk}/export", {"format": "sql"}).status_code == 409
        response = client.get(f"/approvals/{proposal.pk}/export", {"format": "yaml"})
        assert response.status_code == 400 and response.json()["code"] == "invalid_format"
