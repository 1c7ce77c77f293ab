"""``GET /spec``: SPEC.md as a minimal HTML page with anchors, so that the inspector's §
references, step numbers and decision numbers link to the text they cite (decision D68).

Anchors: ``#sec-N`` for the section numbered N (``## 4. Verification``), ``#step-N`` for the
numbered verification steps of §4, ``#DN`` for decision DN of §6. Everything else is escaped
text: headings, paragraphs, list items and code blocks; inline Markdown is left as written. The
page is its ``<main class="spec">`` in the demo pages' shared frame
(:func:`erc8128.server.page_frame.framed_page`).
"""

import html
import re
from importlib.resources import files
from pathlib import Path
from typing import Final

from erc8128.server.page_frame import SPEC, framed_page

TITLE: Final = "SPEC.md: ERC-8128 as implemented"
_SECTION: Final = re.compile(r"(#{1,3}) (?:(\d+)\. )?(.*)")
_STEP: Final = re.compile(r"(\d+)\. (.*)")
_DECISION: Final = re.compile(r"- \*\*(D\d+)\*\*(.*)")


def spec_text() -> str | None:
    """SPEC.md from the package (a built wheel) or from the source tree it was installed from."""
    packaged = files("erc8128") / "SPEC.md"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parents[3] / "SPEC.md"
    if source.is_file():
        return source.read_text(encoding="utf-8")
    return None


def render_spec_missing() -> str:
    """The page ``GET /spec`` answers (with 404) where the install has no SPEC.md: the
    navigation links every page to ``/spec``, so the link leads to this plain statement rather
    than to a JSON problem document. A wheel built from the repository or its sdist carries
    SPEC.md (setup.py); an editable install finds it at the repository's root; an install
    made some other way (a copied package folder) may have neither."""
    main = ('<main class="spec">\n<p>This install has no SPEC.md. It is SPEC.md at the root of '
            "the erc8128 source repository; a wheel built from it carries it, and "
            "<code>erc8128 serve</code> from a source checkout installed with "
            "<code>pip install -e .</code> serves it here.</p>\n</main>\n")
    return framed_page(TITLE, main, current=SPEC[0])


def render_spec(text: str) -> str:
    """SPEC.md as HTML (UTF-8 text; the caller encodes it and says charset=utf-8)."""
    out = ['<main class="spec">']
    section: str | None = None
    in_code = False
    in_list: str | None = None

    def close_list() -> None:
        nonlocal in_list
        if in_list is not None:
            out.append(f"</{in_list}>")
            in_list = None

    for line in text.split("\n"):
        if line.startswith("```"):
            close_list()
            out.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            out.append(html.escape(line))
            continue
        heading = _SECTION.fullmatch(line)
        if heading is not None:
            close_list()
            level = len(heading.group(1))
            number = heading.group(2)
            if number is not None:
                section = number
            anchor = f' id="sec-{number}"' if number is not None else ""
            title = html.escape(line.lstrip("#").strip())
            out.append(f"<h{level + 1}{anchor}>{title}</h{level + 1}>")
            continue
        step = _STEP.fullmatch(line)
        decision = _DECISION.fullmatch(line)
        if step is not None or decision is not None or line.startswith("- "):
            kind = "ol" if step is not None else "ul"
            if in_list != kind:
                close_list()
                out.append(f"<{kind}>")
                in_list = kind
            anchor = ""
            if step is not None and section == "4":
                anchor = f' id="step-{step.group(1)}" value="{step.group(1)}"'
            elif decision is not None:
                anchor = f' id="{decision.group(1)}"'
            body = step.group(2) if step is not None else line[2:]
            out.append(f"<li{anchor}>{html.escape(body)}")
            continue
        if line.strip() == "":
            close_list()
            out.append("<p></p>")
            continue
        out.append(html.escape(line))
    close_list()
    out.append("</main>\n")
    return framed_page(TITLE, "\n".join(out), current=SPEC[0])
