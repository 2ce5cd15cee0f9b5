"""What the dashboard's browser tests share: Debian's chromium, the two screen sizes, and the check that no page is
wider than its screen (fixtures `page` and `demo_database` are in conftest.py)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from psycopg import sql

from schema_metadata import demo_shop

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "first-session"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 120_000  # states, not speed: a busy machine may take long
HAS_CHROMIUM = Path(CHROMIUM).exists()


def check_both_sizes(page, name: str) -> None:
    """Screenshots at both sizes; no page wider than its viewport; the phone has its menu button."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        shot = ARTIFACTS / f"{name}-{suffix}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 1000
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, f"{name} at {size['width']}px is {width}px wide: {wider_than_screen(page)}"
    page.set_viewport_size(DESKTOP)


def wider_than_screen(page) -> list[str]:
    """The innermost elements that stick out of the viewport, to say what made a page too wide."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 5).map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').slice(0, 60))"""
    )


@contextmanager
def small_demo_shop(test_settings, *, orders: int) -> Iterator[str]:
    """A small demo shop (built by the same code as the real one) that the demo button connects to; dropped after."""
    name = f"test_demo_shop_{uuid.uuid4().hex[:8]}"
    demo_shop.build(name=name, orders=orders, log=lambda *_: None)
    test_settings.DEMO_SHOP_DATABASE = name
    test_settings.TARGET_ALLOW_LOCAL = True
    try:
        yield name
    finally:
        with psycopg.connect(**demo_shop.server_params(), dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
