"""Deliver the queued accounts e-mails in the test's own transaction, and read codes and links from them.

The jobs run the real task function (accounts.tasks.send_account_email) with the arguments a
worker would take from procrastinate's table; test_email_worker.py also runs a real worker.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

from django.core import mail
from django.db import connection

from accounts.jobs import SEND_EMAIL_TASK
from accounts.tasks import send_account_email
from dbooster.testing import run_pending_jobs


def deliver_account_emails() -> list:
    """Run every queued accounts e-mail job; returns the messages they sent."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM procrastinate_jobs WHERE task_name = %s RETURNING id, args", [SEND_EMAIL_TASK])
        rows = sorted(cur.fetchall())
    before = len(mail.outbox)
    for _id, args in rows:
        send_account_email(**(json.loads(args) if isinstance(args, str) else args))
    return mail.outbox[before:]


def last_mail_to(address: str):
    messages = [m for m in mail.outbox if address in m.to]
    assert messages, f"no mail to {address}: {[m.to for m in mail.outbox]}"
    return messages[-1]


def code_in(message) -> str:
    found = re.search(r"code is:\s*(\d{6})", message.body)
    assert found, message.body
    return found.group(1)


def link_in(message) -> str:
    found = re.search(r"(https?://\S+\?token=\S+)", message.body)
    assert found, message.body
    return found.group(1)


def token_in(message) -> str:
    return parse_qs(urlparse(link_in(message)).query)["token"][0]


def _run_jobs_and_close(queues):
    try:
        return run_pending_jobs(queues=queues)
    finally:
        connection.close()  # this thread's own connection, or the test database cannot be dropped


def run_pending_jobs_beside_an_event_loop(queues=("email",)) -> dict:
    """A real worker run from a test whose thread already runs an event loop (Playwright's sync API)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_jobs_and_close, list(queues)).result()
