"""Browser fixtures: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Reuse them for any flow that needs a real browser:

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_something(signed_in_page, member):
        page = signed_in_page(member)          # signed in through the sign-in form, on the home page
        page.goto("/services/")                # paths are relative to the live server
        expect(page.get_by_role("heading", level=1)).to_have_text("Service catalogue")

`browser_page` is a fresh, signed-out page (its own browser context, so its own cookies);
`signed_in_page(person, password=PASSWORD)` signs that page in and returns it. Each test gets
one page; call `browser_context.new_page()` for a second tab of the same session, or ask
for `new_browser_page` for a second person.
"""

import os
import shutil

import pytest

PASSWORD = "correct horse battery staple"  # as in tests/conftest.py

# Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM
# calls from a thread with a running loop. The test thread only creates fixtures and
# reads results; the live server answers in its own threads.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium); the browser tests drive it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy")


def watch(page, live_server_url, problems):
    """Collect what a page must never do: break the Content-Security-Policy (Chromium says so on
    the console) or fetch anything from another origin (a CDN, a font service)."""

    def on_console(message):
        if any(marker in message.text for marker in CSP_MARKERS):
            problems.append(f"{page.url}: {message.text}")

    def on_request(request):
        if not request.url.startswith((live_server_url, "data:", "blob:", "about:")):
            problems.append(f"{page.url}: fetched {request.url}")

    page.on("console", on_console)
    page.on("request", on_request)
    return page


@pytest.fixture
def browser_problems():
    """CSP violations and requests to other origins seen by every page of the test (must stay empty)."""
    return []


@pytest.fixture
def new_browser_page(browser, live_server, browser_problems):
    """new_browser_page() → a page in a new browser context (own cookies), based at the live server.

    Every page is watched: a test fails if a page it opened broke the Content-Security-Policy
    or fetched from another origin.
    """
    contexts = []

    def _new():
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(context.new_page(), live_server.url, browser_problems)

    yield _new
    for context in contexts:
        context.close()
    assert browser_problems == [], "\n".join(browser_problems)


@pytest.fixture
def browser_page(new_browser_page):
    return new_browser_page()


@pytest.fixture
def browser_context(browser_page):
    return browser_page.context


def sign_in(page, person, password=PASSWORD):
    """Sign `page` in as `person` through the sign-in form, as a person would; returns the page."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.fixture
def signed_in_page(browser_page):
    """signed_in_page(person, password=PASSWORD) → the browser page, signed in as that person."""

    def _signed_in(person, password=PASSWORD):
        return sign_in(browser_page, person, password)

    return _signed_in
