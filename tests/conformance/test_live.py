"""Deep live mode (``erc8128 conformance --target``): every check's rule is quoted verbatim from
its source, our own ``erc8128 serve`` passes every check in both profiles, a server that accepts
everything fails every check that expects a refusal, and the ERC-8128 §7 route selection the
policy-dependent checks rely on."""

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from erc8128_conformance.live import LIVE_CHECKS, checks_for, route_policy
from erc8128_conformance.live_requirements import DECISION, DRAFT, LEGACY
from tests.support.local_http import serving
from tests.support.service_process import listening_url

ROOT = Path(__file__).resolve().parents[2]
DRAFT_TEXT = ROOT / "vectors" / "third_party" / "erc8128-draft" / "erc-8128-362f1a9.md"
LEGACY_TEXT = ROOT / "vectors" / "third_party" / "erc8128-published" / "erc-8128-9f6cf39.md"


def _flat(text: str) -> str:
    return " ".join(text.split())


def live_mode(url: str, tmp_path: Path, *args: str
              ) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``erc8128 conformance --target url *args`` with its JSON report in ``tmp_path``: the run
    and the report's path (read it once the run's exit status is checked)."""
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", "--target", url, *args,
         "--report-json", str(report)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )
    return run, report


def outcomes(report: Path) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in json.loads(report.read_text(encoding="utf-8"))["outcomes"]}


# ---- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "source"), [(DRAFT, DRAFT_TEXT), (LEGACY, LEGACY_TEXT),
                                               (DECISION, ROOT / "SPEC.md")])
def test_every_quote_is_verbatim(table: dict[str, Any], source: Path) -> None:
    text = _flat(source.read_text(encoding="utf-8"))
    for requirement in table.values():
        assert _flat(requirement.quote) in text, (requirement.id, requirement.quote)


def test_every_check_names_its_rule_per_profile() -> None:
    for check in LIVE_CHECKS.values():
        assert check.requirements, check.name
        for profile, requirement in check.requirements.items():
            if requirement.kind == "profile":
                assert requirement.ref.startswith(f"ERC-8128 {profile} §"), check.name
                # Keyed by profile: a legacy rule never shares an id with a draft rule.
                assert requirement.id.startswith("legacy-") == (profile == "legacy"), check.name
            elif requirement.kind == "rfc":
                assert re.fullmatch(r"RFC \d+ §[\d.]+", requirement.ref), check.name
            else:
                assert requirement.kind == "decision" and requirement.level == "DECISION"
                assert re.fullmatch(r"SPEC\.md D\d+", requirement.ref), check.name
    # The draft's text is the source of most rules; legacy falls back on decisions.
    assert len(checks_for("draft")) > 50 and len(checks_for("legacy")) > 45


# ---- route selection (ERC-8128 §7) ---------------------------------------------------------------


def test_route_policy_follows_the_discovery_precedence() -> None:
    document = {"route_policies": {
        "default": {"replay": "non-replayable"},
        "/api/*": {"replay": "either"},
        "/api/items/*": [{"methods": ["POST"], "max_validity_sec": 60},
                         {"max_validity_sec": 120}],
        "/api/whoami": [{"methods": ["GET"], "replay": "either"}],
    }}
    assert route_policy(document, "/api/whoami", "GET") == {"methods": ["GET"], "replay": "either"}
    # A path key that matches but has no policy for the method: no lower-precedence policy.
    assert route_policy(document, "/api/whoami", "POST") is None
    # The longest wildcard wins; methods are case-sensitive; the first policy without methods.
    assert route_policy(document, "/api/items/7", "POST") == {"methods": ["POST"],
                                                               "max_validity_sec": 60}
    assert route_policy(document, "/api/items/7", "post") == {"max_validity_sec": 120}
    assert route_policy(document, "/api/other", "GET") == {"replay": "either"}
    assert route_policy(document, "/elsewhere", "GET") == {"replay": "non-replayable"}
    assert route_policy(None, "/api/whoami", "GET") is None


# ---- against servers ---------------------------------------------------------------------------


@pytest.fixture
def serve_url() -> Iterator[str]:
    # The checks sign at once after the start: the restart watermark (SPEC.md D61) refuses
    # nothing on a first start.
    with listening_url(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--profile", "both", "--quiet"],
        cwd=ROOT,
    ) as url:
        yield url


@pytest.mark.slow
def test_erc8128_serve_passes_every_check_in_both_profiles(serve_url: str,
                                                           tmp_path: Path) -> None:
    run, report = live_mode(serve_url, tmp_path, "--profile", "both", "--post-path",
                            "/api/projects")
    assert run.returncode == 0, run.stdout[-6000:]
    results = outcomes(report)
    table = json.loads(report.read_text(encoding="utf-8"))["requirements"]
    expected = {f"live/{p}/{c.name}" for p in ("draft", "legacy") for c in checks_for(p)}
    assert set(results) == expected
    # The demo server routes paths exactly: a rewritten path is its router's 404, which proves
    # nothing about the verifier, so the path checks are not supported (never passed on a 404).
    not_passed = {i: o for i, o in results.items() if o["outcome"] != "passed"}
    assert {i.rsplit("/", 1)[1] for i in not_passed} == {
        f"path_{kind}_refused" for kind in ("double_slash", "dot_segment", "dot_dot_segment",
                                            "encoded_slash", "trailing_slash")}, not_passed
    assert {o["outcome"] for o in not_passed.values()} == {"not_supported"}
    assert all("proves nothing" in o["message"] for o in not_passed.values())
    # Every outcome carries its rule (kind, ref, level, quote).
    for case_id, outcome in results.items():
        profile = case_id.split("/")[1]
        name = case_id.split("/")[2]
        requirement = LIVE_CHECKS[name].requirement(profile)
        assert requirement is not None
        # One shape in both modes: the id, the rule in the report's requirements table.
        assert outcome["requirement"] == requirement.id
        assert table[requirement.id] == requirement.to_json()


@pytest.mark.slow
def test_a_profile_the_server_does_not_offer_is_one_line_not_forty_failures(
        tmp_path: Path) -> None:
    """Decision D90: a server that speaks only the draft (a default Gate, `erc8128 serve
    --profile draft`), tested with both profiles, refuses every legacy request with
    no_acceptable_signature. The run says so once and grades the draft; with --profile legacy
    every legacy check is graded and fails."""
    with listening_url([sys.executable, "-m", "erc8128", "serve", "--port", "0", "--profile",
                        "draft", "--quiet"], cwd=ROOT) as url:
        run, report = live_mode(url, tmp_path)
        assert run.returncode == 0, run.stdout[-6000:]
        assert ("profile not offered: the target accepts no legacy signature: a valid legacy "
                "request got 401 no_acceptable_signature while a valid draft request was "
                "accepted") in run.stdout
        results = outcomes(report)
        legacy = {i: o for i, o in results.items() if i.startswith("live/legacy/")}
        assert len(legacy) == len(checks_for("legacy"))
        assert {o["outcome"] for o in legacy.values()} == {"not_supported"}
        assert "live/draft/valid_request_200" in results
        assert results["live/draft/valid_request_200"]["outcome"] == "passed"
        forced, forced_report = live_mode(url, tmp_path, "--profile", "legacy")
        assert forced.returncode == 1
        assert outcomes(forced_report)["live/legacy/valid_request_200"]["outcome"] == "failed"


@pytest.mark.slow
def test_without_a_post_path_the_content_checks_are_not_supported(serve_url: str,
                                                                   tmp_path: Path) -> None:
    run, report = live_mode(serve_url, tmp_path, "--profile", "draft")
    assert run.returncode == 0, run.stdout[-4000:]
    results = outcomes(report)
    unsupported = {i for i, o in results.items() if o["outcome"] == "not_supported"}
    needs_post = {i for i in results
                  if i.startswith(("live/draft/post_", "live/draft/replay_race_post"))}
    assert needs_post <= unsupported
    assert all("--post-path" in results[i]["message"] for i in needs_post)
    # Only the draft profile is tested: the cross-profile replay key needs both.
    assert "needs --profile both" in results[
        "live/draft/replay_key_across_profiles_401_nonce_reused"]["message"]


class _AcceptEverything(BaseHTTPRequestHandler):
    """A server that answers 200 to every request, signed or not."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _ok(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._ok()

    def do_POST(self) -> None:
        self._ok()

    def do_HEAD(self) -> None:
        self._ok()

    def do_get(self) -> None:  # a lower-case method, accepted too
        self._ok()


@pytest.fixture
def lax_url() -> Iterator[str]:
    with serving(_AcceptEverything) as url:
        yield url


_ACCEPTING = re.compile(
    r"_(200|2xx)$|_per_route_policy$|^post_sha512_only$|^post_digest_not_covered$"
)


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_a_server_that_accepts_everything_fails_every_refusal(lax_url: str, tmp_path: Path,
                                                              profile: str) -> None:
    run, report = live_mode(lax_url, tmp_path, "--profile", profile, "--post-path", "/api/echo")
    assert run.returncode == 1
    results = outcomes(report)
    for check in checks_for(profile):
        outcome = results[f"live/{profile}/{check.name}"]["outcome"]
        # Checks whose conforming answer includes 2xx pass; every expected refusal fails
        # (legacy post_digest_not_covered: omitting content-digest is Class-Bound there).
        accepting = _ACCEPTING.search(check.name) is not None and not (
            profile == "draft" and check.name == "post_digest_not_covered"
        )
        if check.name in ("validity_over_route_max_401",
                          "replay_key_across_profiles_401_nonce_reused") or (
                check.name.startswith("invalidation_")):
            # Its answer {"ok": true} documents no maximum, no Replayable route and no
            # invalidation endpoint, and one profile is tested: those checks cannot be judged.
            assert outcome == "not_supported"
            continue
        assert outcome == ("passed" if accepting else "failed"), (check.name, outcome)


# ---- a live server built on @slicekit/erc8128 -------------------------------------------------

SLICEKIT_DIR = ROOT / "conformance" / "adapters" / "slicekit"
SLICEKIT_LIVE_EXPECTED = ROOT / "conformance" / "adapters" / "slicekit-live-expected-failures.json"


@pytest.fixture
def slicekit_url() -> Iterator[str]:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the slicekit server needs Node >= 20")
    if not (SLICEKIT_DIR / "node_modules" / "@slicekit" / "erc8128").is_dir():
        pytest.fail("run `npm ci --prefix conformance/adapters/slicekit` (scripts/test does this)")
    with listening_url(["node", str(SLICEKIT_DIR / "server.mjs"), "--port", "0"], cwd=ROOT) as url:
        yield url


@pytest.mark.slow
def test_slicekit_server_fails_exactly_its_listed_live_deviations(slicekit_url: str,
                                                                  tmp_path: Path) -> None:
    run, report = live_mode(slicekit_url, tmp_path, "--profile", "legacy", "--post-path",
                            "/api/echo", "--expected-failures", str(SLICEKIT_LIVE_EXPECTED))
    assert run.returncode == 0, run.stdout[-8000:]
    listed = json.loads(SLICEKIT_LIVE_EXPECTED.read_text(encoding="utf-8"))
    results = outcomes(report)
    assert {i for i, o in results.items() if o["outcome"] == "xfail"} == {e["id"] for e in listed}
    assert {o["outcome"] for o in results.values()} == {"passed", "xfail", "not_supported"}
    # Not supported only where the server's own answers say so: a path its router does not
    # serve, no Replayable route (so no early invalidation to test).
    assert all(re.search(r"/(path_\w+|invalidation_\w+)$", i) for i, o in results.items()
               if o["outcome"] == "not_supported")
    # Before this live mode (six bodyless GETs) the same server showed none of these.
    assert len(listed) >= 15


def test_slicekit_live_expected_failures_quote_the_rule_they_break() -> None:
    deviations = {d["id"] for d in json.loads((SLICEKIT_DIR / "deviations.json").read_text())}
    for entry in json.loads(SLICEKIT_LIVE_EXPECTED.read_text(encoding="utf-8")):
        _, profile, name = entry["id"].split("/")
        requirement = LIVE_CHECKS[name].requirement(profile)
        assert requirement is not None
        assert entry["spec_sentence"] == f'{requirement.ref}: "{requirement.quote}"'
        assert len(entry["reason"]) > 30 and "see report" not in entry["reason"]
        assert entry.get("deviation") is None or entry["deviation"] in deviations


def test_readme_lists_every_check_with_its_rule() -> None:
    readme = (ROOT / "conformance" / "README.md").read_text(encoding="utf-8")
    for check in LIVE_CHECKS.values():
        line = next((text for text in readme.splitlines()
                     if text.startswith(f"| `{check.name}` |")), None)
        assert line is not None, check.name
        for requirement in check.requirements.values():
            assert f"`{requirement.id}`" in line and requirement.level in line, check.name
    counts = f"{len(checks_for('draft'))} (draft) and {len(checks_for('legacy'))}\n(legacy)"
    assert counts in readme or counts.replace("\n", " ") in readme
