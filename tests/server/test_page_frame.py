"""The shared frame of the demo pages (erc8128/server/page_frame.py): the head, the header with
the one navigation, then the page's own <main>."""

import pytest

from erc8128.server.page_frame import (
    CONSOLE,
    INSPECTOR,
    NAVIGATION,
    SPEC,
    WALKTHROUGH,
    framed_page,
)


def test_a_framed_page_is_the_head_the_header_and_its_main() -> None:
    page = framed_page("A & B", "<main>\n</main>\n", current="/", script="inspect.js")
    assert page == (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>A &amp; B</title>\n"
        '<link rel="stylesheet" href="/static/style.css">\n'
        '<script type="module" src="/static/inspect.js"></script>\n'
        "</head>\n<body>\n"
        '<header class="top">\n  <h1>A &amp; B</h1>\n'
        '  <nav aria-label="pages"><a href="/" aria-current="page">Inspector</a> '
        '<a href="/console">Owner console</a> <a href="/walkthrough">Walkthrough</a> '
        '<a href="/spec">SPEC.md</a></nav>\n</header>\n'
        "<main>\n</main>\n</body>\n</html>\n"
    )


def test_a_notice_follows_the_doctype_and_no_script_means_no_script_element() -> None:
    page = framed_page("W", "<main>\n</main>\n", current="/walkthrough",
                       notice="Generated; do not edit.")
    assert page.startswith("<!doctype html>\n<!-- Generated; do not edit. -->\n<html")
    assert "<script" not in page
    assert '<a href="/walkthrough" aria-current="page">Walkthrough</a>' in page
    assert page.count("aria-current") == 1


def test_the_navigation_is_every_page_in_order() -> None:
    assert NAVIGATION == (INSPECTOR, CONSOLE, WALKTHROUGH, SPEC)
    assert [href for href, _ in NAVIGATION] == ["/", "/console", "/walkthrough", "/spec"]


@pytest.mark.parametrize("current", [href for href, _ in NAVIGATION])
def test_each_page_marks_itself_and_only_itself(current: str) -> None:
    page = framed_page("T", "<main>\n</main>\n", current=current)
    assert page.count('aria-current="page"') == 1
    assert f'<a href="{current}" aria-current="page">' in page


def test_a_page_outside_the_navigation_is_refused() -> None:
    with pytest.raises(ValueError, match="'/elsewhere'"):
        framed_page("T", "<main>\n</main>\n", current="/elsewhere")
