"""A real browser (Debian's chromium through Playwright) chats with the assistant against the fake model server:
the answer streams in, the tool it ran is shown, a SQL block runs inline, a proposal is accepted, and the
conversation comes back after a reload."""

import os

import pytest

from approvals.models import Proposal
from projects.tests.test_browser import ARTIFACTS, pytestmark, signed_in_page  # noqa: F401

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls must run beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

COUNT = "SELECT rating, count(*) FROM film GROUP BY rating"
INDEX = "CREATE INDEX rental_return_date_idx ON rental (return_date)"


@pytest.fixture
def page(live_server, member):
    yield from signed_in_page(live_server, member)


@pytest.mark.django_db(transaction=True)
def test_chat_page(live_server, page, project, pagila, fake_openai):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    fake_openai.tool_calls(("run_query", {"sql": COUNT}))
    fake_openai.text(f"There are 5 ratings. I counted them with:\n```sql\n{COUNT}\n```\nPG-13 has the most.")
    page.goto(f"{live_server.url}/app/projects/{project.pk}/")
    page.locator("[data-assistant-link]").click()
    expect(page.locator("#question")).to_be_visible()

    page.locator("#question").fill("How many films per rating?")
    page.locator("#send").click()
    answer = page.locator(".bubble.assistant").last
    expect(answer.locator(".tool").first).to_contain_text("run_query")
    expect(answer).to_contain_text("PG-13 has the most.")
    expect(answer.locator(".sql-block code")).to_have_text(COUNT)
    answer.locator("[data-action=run]").click()
    expect(answer.locator("table.results tbody tr")).to_have_count(5)
    answer.locator("[data-action=explain]").click()
    expect(answer.locator(".sql-out")).to_contain_text("Estimated cost")

    fake_openai.tool_calls(("propose_change", {"kind": "index", "sql": INDEX, "reason": "Late returns filter on it."}))
    fake_openai.text("I proposed an index on rental.return_date.")
    page.locator("#question").fill("Speed up the late returns report")
    page.locator("#send").click()
    card = page.locator(".proposal").last
    expect(card).to_contain_text(INDEX)
    expect(card.locator("[data-state]")).to_have_text("draft")
    card.locator("[data-action=accept]").click()
    expect(card.locator("[data-state]")).to_have_text("proposed")
    assert Proposal.objects.get().state == "proposed"
    page.screenshot(path=str(ARTIFACTS / "assistant-chat.png"), full_page=True)

    page.reload()  # the conversation is in the URL and comes back from the API
    expect(page.locator(".bubble.user")).to_have_count(2)
    expect(page.locator(".bubble.assistant").first).to_contain_text("PG-13 has the most.")
    expect(page.locator("#conversations")).to_contain_text("How many films per rating?")


# The text colour of `selector` against the first opaque background behind it: WCAG's contrast ratio.
CONTRAST_JS = """(selector) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const node = document.querySelector(selector);
  let back = node;
  while (back && (rgb(getComputedStyle(back).backgroundColor)[3] === 0)) back = back.parentElement;
  const fg = luminance(rgb(getComputedStyle(node).color));
  const bg = luminance(rgb(getComputedStyle(back || document.body).backgroundColor));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


@pytest.mark.django_db(transaction=True)
def test_at_1100px_the_chat_takes_the_width_and_sql_blocks_are_readable(
    live_server, page, project, pagila, fake_openai
):
    from playwright.sync_api import expect

    fake_openai.text(f"I counted them with:\n```sql\n{COUNT}\n```\nPG-13 has the most.")
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(f"{live_server.url}/app/projects/{project.pk}/assistant/")
    page.locator("#question").fill("How many films per rating?")
    page.locator("#send").click()
    block = page.locator(".bubble.assistant .sql-block code").last
    expect(block).to_have_text(COUNT)
    widths = page.evaluate(
        """() => Object.fromEntries(['.workbench.assistant', '.workbench-main', '.workbench-side', '#chat-log']
             .map(s => [s, document.querySelector(s).getBoundingClientRect().width]))"""
    )
    frame, chat, side = widths[".workbench.assistant"], widths["#chat-log"], widths[".workbench-side"]
    assert chat >= 0.7 * frame and chat > 2 * side, widths  # the conversation, not the list beside it, is wide
    assert page.evaluate("document.documentElement.scrollWidth") <= 1100
    ratio = page.evaluate(CONTRAST_JS, ".bubble.assistant .sql-block code")
    assert ratio >= 7, f"SQL text contrast {ratio:.2f}:1 (WCAG AAA asks 7:1)"
    page.screenshot(path=str(ARTIFACTS / "assistant-chat-1100.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_write_sql_that_changes_data_shows_a_draft_with_its_estimate(live_server, page, project, pagila, fake_openai):
    from playwright.sync_api import expect

    delete = "DELETE FROM payment WHERE amount = 0"
    fake_openai.json({"sql": delete, "explanation": "Removes the free payments."})
    page.goto(f"{live_server.url}/app/projects/{project.pk}/assistant/")
    page.locator("#question").fill("Remove the free payments")
    page.locator("#ask-sql").click()
    card = page.locator(".proposal").last
    expect(card.locator("[data-state]")).to_have_text("draft")
    expect(card).to_contain_text(delete)
    answer = page.locator(".bubble.assistant").last
    expect(answer.locator("[data-action=explain]")).to_have_count(1)
    expect(answer.locator("[data-action=run]")).to_have_count(0)  # a data change is proposed, never run from here
    proposal = Proposal.objects.get()
    assert proposal.kind == "data"
    rows = proposal.evidence["estimated_rows"]
    expect(card.locator("[data-estimated-rows]")).to_have_attribute("data-estimated-rows", str(rows))
    card.locator("[data-action=accept]").click()
    expect(card.locator("[data-state]")).to_have_text("proposed")
    assert Proposal.objects.get().state == "proposed"  # submitted for approval; nothing ran on pagila
