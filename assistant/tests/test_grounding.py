import psycopg
import pytest

from assistant.grounding import (
    Column,
    ForeignKey,
    ScannedQuery,
    Table,
    ground,
    render_schema,
    tables_from_catalog,
    tokenize,
)
from assistant.tests.evaluation import evaluate_each_dataset, evaluate_large_schema, load_questions
from assistant.tests.schemas import DATASETS, DATASETS_DIR, dataset_sql, dataset_tables, large_schema
from schema_metadata import catalog, target


def test_the_question_set_covers_every_dataset_with_at_least_60_questions():
    questions = load_questions()
    assert set(questions) == set(DATASETS)
    assert sum(len(q) for q in questions.values()) >= 60
    for dataset, items in questions.items():
        names = {t.name for t in dataset_tables(dataset)}
        for item in items:
            assert set(item["needs"]) <= names, (dataset, item)  # a typo in the set would count as a miss


def test_every_needed_table_is_selected_for_at_least_95_percent_of_questions():
    figures = evaluate_each_dataset()
    outcomes = [o for f in figures for o in f.outcomes]
    found = sum(not o.missing for o in outcomes)
    misses = [(o.question, o.missing) for o in outcomes if o.missing]
    assert found / len(outcomes) >= 0.95, misses


def test_on_2000_tables_the_context_is_at_most_a_fifth_of_the_schema_and_holds_the_needed_tables():
    tables = large_schema()
    assert len(tables) == 2000
    full = len(render_schema(tables))
    outcomes = [o for figures in evaluate_large_schema() for o in figures.outcomes]
    for outcome in outcomes:
        assert outcome.context_chars <= 0.2 * full
        assert outcome.context_chars > 0, outcome.question
    found = sum(not o.missing for o in outcomes)
    assert found / len(outcomes) >= 0.95, [(o.question, o.missing) for o in outcomes if o.missing]


def test_the_large_schema_is_generated_the_same_every_time():
    assert large_schema.__wrapped__(2000) == large_schema()


def test_tokens_split_identifiers_fold_plurals_and_synonyms():
    assert tokenize("InvoiceLine") == ["invoice", "item"]
    assert tokenize("order_details") == ["order", "item"]
    assert tokenize("Which clients rented movies?") == ["customer", "rental", "film"]
    assert tokenize("categories") == ["category"]


SHOP = [
    Table("public", "customer", (Column("id", "bigint"), Column("email", "text"))),
    Table(
        "public",
        "purchase",
        (Column("id", "bigint"), Column("placed_by", "bigint")),
        comment="one row per checkout",
        foreign_keys=(ForeignKey(("placed_by",), "public", "customer", ("id",)),),
    ),
    Table(
        "public",
        "purchase_line",
        (Column("purchase_ref", "bigint"), Column("sku_ref", "bigint"), Column("qty", "int")),
        foreign_keys=(
            ForeignKey(("purchase_ref",), "public", "purchase", ("id",)),
            ForeignKey(("sku_ref",), "public", "product", ("id",)),
        ),
    ),
    Table("public", "product", (Column("id", "bigint"), Column("title", "text"))),
    Table("public", "audit_trail", (Column("id", "bigint"), Column("payload", "jsonb"))),
]


def test_tables_on_the_fk_path_are_added_with_the_reason():
    result = ground("which products did each client buy", SHOP)
    assert set(result.table_names[:2]) == {"public.product", "public.customer"}
    joins = {t.table: t.reasons for t in result.tables if t.score == 0}
    assert set(joins) == {"public.purchase", "public.purchase_line"}
    assert all(reason.startswith("joins ") for reasons in joins.values() for reason in reasons)
    assert "public.audit_trail" not in result.table_names


def test_a_lookup_named_by_a_value_comes_with_the_table_that_references_it():
    # 'AC/DC' is a row of Artist, not a word of any name: the album's foreign key brings its table in.
    chinook = dataset_tables("chinook")
    result = ground("Albums by AC/DC", chinook)
    assert "public.Album" in result.table_names and "public.Artist" in result.table_names
    artist = next(t for t in result.tables if t.table == "public.Artist")
    assert artist.reasons == ["referenced by public.Album"]


def test_the_context_carries_columns_types_comments_fks_and_examples():
    queries = [ScannedQuery("SELECT * FROM purchase WHERE placed_by = $1", ("public.purchase",))]
    context = ground("purchases of a customer", SHOP, queries).context
    assert "TABLE public.purchase  -- one row per checkout" in context
    assert "  placed_by bigint" in context
    assert "FK (placed_by) -> public.customer(id)" in context
    assert "referenced by: public.purchase" in context  # on customer
    assert "example: SELECT * FROM purchase WHERE placed_by = $1" in context


def test_the_context_stays_within_the_budget_and_lists_only_what_it_holds():
    result = ground(
        "films actors categories rentals payments customers stores", dataset_tables("pagila"), char_budget=900
    )
    assert len(result.context) <= 900
    assert result.tables
    for selected in result.tables:
        assert f"TABLE {selected.table}" in result.context


def test_a_question_matching_nothing_selects_nothing():
    result = ground("hello there", SHOP)
    assert result.tables == [] and result.context == ""


def test_a_non_positive_budget_is_refused():
    with pytest.raises(ValueError, match="char_budget"):
        ground("customers", SHOP, char_budget=0)


@pytest.mark.parametrize("dataset", ["northwind", "pagila"])
def test_the_parsed_ddl_gives_what_the_catalog_reader_reads(dataset, scratch_database):
    # northwind loads whole; pagila's rows come as COPY blocks a plain execute cannot send, so its DDL only.
    script = (DATASETS_DIR / "northwind.sql").read_text() if dataset == "northwind" else dataset_sql(dataset)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(script)
    with target.connect(scratch_database) as conn:
        read = catalog.read_catalog(conn)
    # Views are in the catalog but not parsed from the DDL: compare tables only.
    stored = [t for t in read.tables if t["kind"] in ("table", "partitioned", "partition")]
    from_catalog = {t.qualified: t for t in tables_from_catalog(stored, read.columns, read.foreign_keys)}
    parsed = {t.qualified: t for t in dataset_tables(dataset)}
    assert set(from_catalog) == set(parsed)
    for name, table in parsed.items():
        other = from_catalog[name]
        assert [c.name for c in other.columns] == [c.name for c in table.columns], name
        assert {(fk.columns, fk.ref_table) for fk in other.foreign_keys} == {
            (fk.columns, fk.ref_table) for fk in table.foreign_keys
        }, name
        assert other.partition_of == table.partition_of, name
    question = load_questions()[dataset][0]
    assert (
        ground(question["q"], list(from_catalog.values())).table_names
        == ground(question["q"], list(parsed.values())).table_names
    )
