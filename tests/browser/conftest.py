"""Browser tests: the console served by a real server process, driven in Chromium.

They run whenever a Chromium is found (``RISKDESK_CHROMIUM``, else ``chromium`` on the path);
without one they are skipped, and the test session's header says so. Screenshots go to
``RISKDESK_CONSOLE_SCREENSHOTS`` when set (``make screenshots`` sets it to docs/console), else
to the test session's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.roles import Role
from tests.conftest import TEST_PASSWORD

SERIOUS = frozenset({"serious", "critical"})


def chromium_path() -> str | None:
    """The Chromium the browser tests drive, or None."""
    configured = os.environ.get("RISKDESK_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_report_header(config: pytest.Config) -> str:
    found = chromium_path()
    if found:
        return f"browser tests: Chromium at {found}"
    return ("browser tests: SKIPPED, no Chromium found (install Debian's chromium package, or "
            "set RISKDESK_CHROMIUM to a Chromium binary)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    data_dir: Path

    def engine(self) -> Any:
        from app.db import build_engine

        return build_engine(self.database_url)


@pytest.fixture(scope="session")
def live_server(sqlite_model_template: Path, tmp_path_factory: pytest.TempPathFactory,
                ) -> Iterator[LiveServer]:
    """riskdesk served by uvicorn in a process of its own, on a copy of the test database with
    the bundled model champion and one user per role."""
    if chromium_path() is None:
        pytest.skip("no Chromium found: the browser tests need Debian's chromium package")
    root = tmp_path_factory.mktemp("live")
    database = root / "riskdesk.db"
    shutil.copyfile(sqlite_model_template, database)
    port = _free_port()
    env = {**os.environ, "RISKDESK_DATABASE_URL": f"sqlite:///{database}",
           "RISKDESK_DATA_DIR": str(root / "data"), "RISKDESK_JOBS_URL": "immediate",
           "RISKDESK_CHECKPOINT_POLL_SECONDS": "0"}
    with (root / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {(root / 'server.log').read_text()}")
        time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("the server did not start within 60 s")
    yield LiveServer(url, f"sqlite:///{database}", root / "data")
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Any]:
    """Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    """``new_page()``: a page in a browser context of its own (its own cookies)."""
    contexts = []

    def open_page() -> Any:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the form, as a person does, and land on the home page."""
    page.goto("/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")


@pytest.fixture
def page_as(new_page: Callable[[], Any]) -> Callable[[Role | str], Any]:
    """``page_as(role)`` (the seeded user of that role) or ``page_as("username")``: a page
    signed in to the console."""

    def open_as(who: Role | str) -> Any:
        page = new_page()
        username = who.value.replace("_", "-") if isinstance(who, Role) else who
        sign_in(page, username)
        return page

    return open_as


def check_accessibility(page: Any) -> None:
    """axe-core on the page as it stands: no serious or critical WCAG 2.1 AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    violations = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        f"{[n['target'] for n in v['nodes']][:5]}" for v in violations)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    """``screenshots(page, name)``: save the page as NAME.png (docs/console with
    ``make screenshots``)."""
    configured = os.environ.get("RISKDESK_CONSOLE_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


def create_user(live_server: LiveServer, username: str, role: Role) -> str:
    """Another user of ``role`` on the live server's database; returns the username."""
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.users.service import create_user as create

    engine = live_server.engine()
    try:
        with session_scope(engine) as session:
            create(session, Principal.system("test-setup"), username=username,
                   password=TEST_PASSWORD, role=role)
    finally:
        engine.dispose()
    return username
