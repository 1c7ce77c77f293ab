"""GET /spec (erc8128/server/spec_page.py, decision D68): SPEC.md as HTML with anchors, framed like
every demo page."""

from erc8128.server.page_frame import framed_page
from erc8128.server.spec_page import TITLE, render_spec, spec_text

MARKDOWN = """# Title <x> & y

Intro line.

## 4. Verification

1. First step `code`.
2. Second step.

```text
a < b
```

## 6. Decisions

- **D1** one & two.
- plain item
### Sub
"""
# The <main> that the page wrote by hand before it was framed, byte for byte.
MAIN = (
    '<main class="spec">\n<h2>Title &lt;x&gt; &amp; y</h2>\n<p></p>\nIntro line.\n<p></p>\n'
    '<h3 id="sec-4">4. Verification</h3>\n<p></p>\n<ol>\n'
    '<li id="step-1" value="1">First step `code`.\n<li id="step-2" value="2">Second step.\n'
    "</ol>\n<p></p>\n<pre>\na &lt; b\n</pre>\n<p></p>\n"
    '<h3 id="sec-6">6. Decisions</h3>\n<p></p>\n<ul>\n'
    '<li id="D1">**D1** one &amp; two.\n<li>plain item\n</ul>\n<h4>Sub</h4>\n<p></p>\n'
    "</main>\n"
)


def test_the_spec_page_is_its_main_in_the_shared_frame() -> None:
    assert render_spec(MARKDOWN) == framed_page(TITLE, MAIN, current="/spec")


def test_the_spec_page_has_no_head_or_header_of_its_own() -> None:
    page = render_spec(MARKDOWN)
    assert page.count("<head>") == 1 and page.count('<header class="top">') == 1
    assert page.count("<nav") == 1
    assert '<a href="/spec" aria-current="page">SPEC.md</a>' in page
    assert "<script" not in page


def test_the_real_spec_has_the_anchors_the_inspector_links_to() -> None:
    text = spec_text()
    assert text is not None  # a source checkout has SPEC.md at its root
    page = render_spec(text)
    for anchor in ('id="sec-4"', 'id="step-1"', 'id="step-12"', 'id="D68"'):
        assert page.count(anchor) == 1, anchor
