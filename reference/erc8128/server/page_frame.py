"""The frame the demo server's pages share: the document head (charset, viewport, title, the one
stylesheet, the page's module script) and the top header with the page's title and navigation.

A page is its frame around its own ``<main>`` element. The inspector and the owner console keep
only their ``<main>`` in ``erc8128/server/static`` and are framed when served
(:mod:`erc8128.server.pages`); docs/make_walkthrough.py frames the walkthrough when it writes it;
:mod:`erc8128.server.spec_page` frames SPEC.md at ``/spec``. Every page has the one navigation,
:data:`NAVIGATION`, with itself marked. Scripts and styles come from this origin only, never
inline (decision D60).
"""

import html
from typing import Final

# (href, label) of a page in the top navigation.
NavLink = tuple[str, str]

INSPECTOR: Final[NavLink] = ("/", "Inspector")
CONSOLE: Final[NavLink] = ("/console", "Owner console")
WALKTHROUGH: Final[NavLink] = ("/walkthrough", "Walkthrough")
SPEC: Final[NavLink] = ("/spec", "SPEC.md")
# The top navigation of every page, in this order.
NAVIGATION: Final[tuple[NavLink, ...]] = (INSPECTOR, CONSOLE, WALKTHROUGH, SPEC)


def framed_page(title: str, main: str, *, current: str, script: str | None = None,
                notice: str | None = None) -> str:
    """A whole HTML document: ``main`` (the page's ``<main>`` element and a line end) inside
    the shared head and header. ``current`` is the href of :data:`NAVIGATION` that the page is,
    marked ``aria-current="page"``; ``script`` a module in ``/static/``; ``notice`` an HTML
    comment after the doctype (the walkthrough's "generated, do not edit")."""
    if current not in (href for href, _ in NAVIGATION):
        raise ValueError(f"expected the href of a page in NAVIGATION, got {current!r}")
    marked = ' aria-current="page"'
    links = " ".join(f'<a href="{href}"{marked if href == current else ""}>{html.escape(label)}</a>'
                     for href, label in NAVIGATION)
    return "".join((
        "<!doctype html>\n",
        "" if notice is None else f"<!-- {html.escape(notice)} -->\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{html.escape(title)}</title>\n",
        '<link rel="stylesheet" href="/static/style.css">\n',
        "" if script is None else f'<script type="module" src="/static/{script}"></script>\n',
        "</head>\n<body>\n",
        f'<header class="top">\n  <h1>{html.escape(title)}</h1>\n'
        f'  <nav aria-label="pages">{links}</nav>\n</header>\n',
        main,
        "</body>\n</html>\n",
    ))
