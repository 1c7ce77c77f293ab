"""Capture the pastes in this folder: genuinely signed requests in every form a developer has.

Run from the repository root (needs the venv, curl, openssl, node with
``npm ci --prefix conformance/adapters/slicekit``, chromium and chromium-driver):

    .venv/bin/python tests/data/pastes/capture.py [PORT]

It starts two real ``erc8128 serve`` processes (plain http on PORT, https on PORT+1 with a
throwaway self-signed certificate), signs with a fixed test key (sha256("paste capture"): never
use it for anything), sends the requests and writes what each tool printed. The files are
checked in, so the tests read them as data; ``origin.json`` records for each file the tool, the
command and the Unix time it was signed at (the tests verify at that time).

- ``slicekit_legacy.http``: @slicekit/erc8128 (pinned) signRequest, printed as raw HTTP/1.1.
- ``slicekit_console_log.txt``: a GET signed the same way, printed by Node's ``console.log`` of
  the signed ``Request`` (added later than the others, by the same script and step alone).
- ``raw_ours_https.http``: the headers ``erc8128 sign`` printed, in a raw HTTP/1.1 request.
- ``curl_v_http.txt`` / ``curl_v_https.txt``: curl -v's own stderr, sending the headers printed by
  ``erc8128 sign`` (over plain http, and over TLS to ``erc8128 serve --tls-cert``).
- ``curl_hand_cleaned_http.txt``: the first trace with curl's ``*``/``<`` lines removed and the
  ``> `` prefixes stripped, as a person cleans it.
- ``erc8128_request_v.txt``: ``erc8128 request -v`` (stderr then stdout, as a terminal shows).
- ``python_requests_debug.txt``: a JSON POST by ``requests`` with ``ERC8128Auth``, as Python's
  ``http.client`` prints it with ``debuglevel = 1`` (added later than the others, by
  :func:`python_debug_output` alone against a server started as below).
- ``starlette_scope.txt`` / ``flask_environ.txt``: a GET signed by ``erc8128 request`` as the
  app printed what it was handed, ``print(request.scope)`` in a Starlette endpoint under uvicorn
  and ``print(flask.request.environ)`` in a Flask view under gunicorn (added later than the
  others, by :func:`printed_by_app` alone, on ports of their own).
- ``pino_http_log.txt``: the log of an Express app with pino-http (pinned in ``pino_http/``,
  ``npm ci --prefix tests/data/pastes/pino_http``) for a public GET and then a GET signed by
  ``erc8128 request``: two JSON lines, as a JavaScript server author's log holds them (added
  later than the others, by :func:`pino_http_log` alone).
- ``chrome_*``: a signed ``fetch`` made by Debian's chromium; the request as chromium sent it is
  read from its DevTools protocol log (Network.requestWillBeSentExtraInfo), then written out in
  the forms DevTools offers: "Copy as cURL (bash)", "Copy as cURL (cmd)", "Copy as fetch"
  (``chrome_fetch.js``), the HTTP/2 header list
  (pseudo-headers first, lowercase names, as the Headers pane shows for an h2 request; then a
  blank line and the Payload tab's content), a HAR
  1.2 file with two entries and one HAR entry. The DevTools formats are written by the functions
  below, which follow DevTools' documented output (quoting rules in their docstrings).
  ``chrome_fetch.js`` came later than the others: :func:`copy_as_fetch` wrote it from the same
  record as kept in ``chrome_har_entry.json`` (method, URL, header lines, content), with
  chromium's default referrer policy, ``strict-origin-when-cross-origin``.
"""

import base64
import datetime
import hashlib
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ERC8128 = [sys.executable, "-m", "erc8128"]
KEY = hashlib.sha256(b"paste capture").hexdigest()  # a public test key: never use it


def wait_listening(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/examples", timeout=1, context=_insecure())
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def _insecure() -> Any:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def sign_headers(key_file: str, url: str, *extra: str) -> tuple[list[str], int]:
    created = int(time.time())
    out = subprocess.run([*ERC8128, "sign", url, "--key-file", key_file, "--created",
                          str(created), *extra], check=True,
                         capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line], created


def posix_quote(text: str) -> str:
    """DevTools' bash quoting: single quotes, or ANSI-C $'...' when the text has a control
    character, '!' or a single quote (\\ and ' escaped, controls as \\uXXXX)."""
    if re.search(r"[\x00-\x1f\x7f-\x9f!']", text):
        escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
        escaped = escaped.replace("\r", "\\r")
        escaped = re.sub(r"[\x00-\x1f\x7f-\x9f!]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
        return "$'" + escaped + "'"
    return "'" + text + "'"


def cmd_quote(text: str) -> str:
    """DevTools' Windows cmd quoting: \\ doubled, " as \\", every character outside
    [a-zA-Z0-9 whitespace _-:=+~'/.,?;()*`&] caret-escaped, %x as %^x, all inside ^"...^"."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[^a-zA-Z0-9\s_\-:=+~'/.',?;()*`&]", lambda m: "^" + m.group(), escaped)
    escaped = re.sub(r"%(?=[a-zA-Z0-9_])", "%^", escaped)
    escaped = re.sub(r"\r?\n", "^\n\n", escaped)
    return '^"' + escaped + '^"'


IGNORED = {"accept-encoding", "host", "method", "path", "scheme", "version", "authority",
           "protocol"}


def copy_as_curl(method: str, url: str, headers: list[tuple[str, str]], data: str | None,
                 platform: str) -> str:
    """DevTools "Copy as cURL": URL, -X unless implied, -H per header (Host, Accept-Encoding and
    pseudo-headers left out; Content-Length too when there is data), --data-raw, --compressed;
    parts joined by a line continuation (`` \\`` for bash, `` ^`` for cmd)."""
    quote = cmd_quote if platform == "win" else posix_quote
    parts = [quote(url)]
    ignored = set(IGNORED)
    inferred = "GET"
    tail: list[str] = []
    if data is not None:
        tail.append("--data-raw " + quote(data))
        ignored.add("content-length")
        inferred = "POST"
    if method != inferred:
        parts.append("-X " + quote(method))
    for field_name, value in headers:
        name = field_name.removeprefix(":")
        if name.lower() in ignored:
            continue
        parts.append("-H " + quote(f"{name}: {value}" if value.strip() else f"{name};"))
    parts += tail
    parts.append("--compressed")
    joiner = " ^\n  " if platform == "win" else " \\\n  "
    return "curl " + joiner.join(parts)


# DevTools "Copy as fetch" leaves out the request headers a page may not set (the Fetch
# standard's forbidden request-header names, as DevTools lists them), User-Agent, and the
# request's own internal names.
FETCH_LEFT_OUT = {
    "method", "path", "scheme", "version", "accept-charset", "accept-encoding",
    "access-control-request-headers", "access-control-request-method", "connection",
    "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
    "origin", "referer", "te", "trailer", "transfer-encoding", "upgrade", "via", "user-agent",
}


def copy_as_fetch(method: str, url: str, headers: list[tuple[str, str]], data: str | None,
                  referrer_policy: str | None) -> str:
    """DevTools "Copy as fetch": ``fetch(URL, OPTIONS);`` with both written by JSON.stringify,
    OPTIONS indented by two spaces. Its headers are what a ``Headers`` object lists: names
    lowercased and sorted, a repeated name's values joined by ", ", names with a colon and
    FETCH_LEFT_OUT dropped. Then ``referrer`` (the Referer value), ``referrerPolicy``, ``body``
    (the content, or null), ``method``, ``mode: "cors"`` and ``credentials`` ("include" when a
    Cookie or Authorization header was sent, else "omit"); undefined members are left out."""
    kept: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in FETCH_LEFT_OUT or ":" in name:
            continue
        kept[key] = f"{kept[key]}, {value}" if key in kept else value
    sent = {name.lower(): value for name, value in headers}
    options: dict[str, Any] = {}
    if kept:
        options["headers"] = dict(sorted(kept.items()))
    if "referer" in sent:
        options["referrer"] = sent["referer"]
    if referrer_policy:
        options["referrerPolicy"] = referrer_policy
    options["body"] = data
    options["method"] = method
    options["mode"] = "cors"
    options["credentials"] = "include" if {"cookie", "authorization"} & set(sent) else "omit"
    return (f"fetch({json.dumps(url, ensure_ascii=False)}, "
            f"{json.dumps(options, indent=2, ensure_ascii=False)});")


def python_debug_output(url: str, key_file: str) -> tuple[str, int]:
    """A signed JSON POST made by ``requests`` with erc8128's ERC8128Auth while
    ``http.client.HTTPConnection.debuglevel = 1``: what http.client prints (stdout), and the
    signing time."""
    script = (
        "import http.client, sys, requests\n"
        "from erc8128.client import Signer\n"
        "from erc8128.integrations.requests_auth import ERC8128Auth\n"
        "http.client.HTTPConnection.debuglevel = 1\n"
        "signer = Signer.from_key_file(sys.argv[1])\n"
        "requests.post(sys.argv[2], json={'hello': 'world'}, auth=ERC8128Auth(signer))\n"
    )
    created = int(time.time())
    printed = subprocess.run([sys.executable, "-c", script, key_file, url], check=True,
                             capture_output=True, text=True)
    return printed.stdout, created


# A Starlette endpoint under uvicorn and a Flask view under gunicorn that print what they were
# handed, as a server author debugging a refusal does: print(request.scope), print(request.environ).
_PRINTING_APPS = {
    "asgi": (
        "from starlette.applications import Starlette\n"
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n"
        "async def whoami(request):\n"
        "    print(request.scope, flush=True)\n"
        "    return PlainTextResponse('printed')\n"
        "app = Starlette(routes=[Route('/api/whoami', whoami)])\n"
    ),
    "wsgi": (
        "import flask\n"
        "app = flask.Flask(__name__)\n"
        "@app.get('/api/whoami')\n"
        "def whoami():\n"
        "    print(flask.request.environ, flush=True)\n"
        "    return 'printed'\n"
    ),
}


PINO_TOOL = "Express 4.22.3 with pino-http 10.5.0, the log of a public and a signed GET"
PRINTED = (
    ("asgi", "starlette_scope.txt",
     "Starlette under uvicorn, print(request.scope) of a request signed by erc8128 request"),
    ("wsgi", "flask_environ.txt",
     "Flask under gunicorn, print(flask.request.environ) of a request signed by erc8128 request"),
)


def _output_of_app(command: list[str], port: int, key_file: str, via: str, cwd: str | None = None
                   ) -> tuple[str, int]:
    """Start an app (``command``, listening on ``port``), GET its /api/whoami unsigned until it
    answers (``?via=public``), then once signed by ``erc8128 request`` (``?via=VIA``); stop it.
    Its stdout, and the signing time."""
    server = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/whoami"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "?via=public", timeout=1)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        created = int(time.time())
        subprocess.run([*ERC8128, "request", f"{url}?via={via}", "--key-file", key_file],
                       check=True, capture_output=True)
        time.sleep(0.5)  # a logger may write its line after the answer is finished
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    return output, created


def printed_by_app(gateway: str, port: int, key_file: str) -> tuple[str, int]:
    """What the app of ``_PRINTING_APPS[gateway]`` printed for one request signed by
    ``erc8128 request`` (uvicorn for "asgi", gunicorn's sync worker for "wsgi"), and the signing
    time."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "printing_app.py").write_text(_PRINTING_APPS[gateway])
        command = ([sys.executable, "-m", "uvicorn", "--port", str(port), "printing_app:app"]
                   if gateway == "asgi" else
                   [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                    "printing_app:app"])
        printed, created = _output_of_app(command, port, key_file, gateway, cwd=folder)
    # uvicorn writes its access log to stdout too: the paste is the printed mapping's line.
    return [line for line in printed.splitlines() if line.startswith("{")][-1] + "\n", created


def pino_http_log(port: int, key_file: str) -> tuple[str, int]:
    """What ``pino_http/log_requests.cjs`` logged (stdout) for a public GET, then a GET signed
    by ``erc8128 request``, and the signing time."""
    return _output_of_app(["node", str(HERE / "pino_http" / "log_requests.cjs"), str(port)],
                          port, key_file, "pino")


def capture_chromium(base: str, key_file: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A signed POST made by chromium's fetch (after loading the page): the CDP records."""
    from selenium import webdriver  # noqa: PLC0415 (only capturing needs selenium)
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    url = base + "/api/whoami?from=chromium"
    body = '{"hello":"world"}'
    signed, created = sign_headers(key_file, url, "-X", "POST", "-d", body,
                                   "-H", "Content-Type: application/json")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        browser.get(base + "/")
        headers = {"Content-Type": "application/json"}
        headers.update(dict(line.split(": ", 1) for line in signed))
        browser.set_script_timeout(10)
        browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {method: 'POST', headers: arguments[1], body: arguments[2]})"
            ".then(r => r.text()).then(done, e => done(String(e)));", url, headers, body)
        time.sleep(0.5)
        events = [json.loads(entry["message"])["message"]
                  for entry in browser.get_log("performance")]
    finally:
        browser.quit()
    sent: dict[str, dict[str, Any]] = {}
    extra: dict[str, dict[str, str]] = {}
    responses: dict[str, dict[str, Any]] = {}
    for event in events:
        params = event.get("params", {})
        if event["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params
        elif event["method"] == "Network.requestWillBeSentExtraInfo":
            extra[params["requestId"]] = params["headers"]
        elif event["method"] == "Network.responseReceived":
            responses[params["requestId"]] = params
    records = []
    for request_id, params in sent.items():
        if request_id not in extra:
            continue
        records.append({"request": params["request"], "headers": extra[request_id],
                        "wallTime": params["wallTime"],
                        "response": responses.get(request_id, {}).get("response")})
    signed_record = next(r for r in records if r["request"]["url"] == url)
    signed_record["created"] = created
    return signed_record, records


def har_entry(record: dict[str, Any]) -> dict[str, Any]:
    """One HAR 1.2 entry (log.entries[]) for a CDP request record, as DevTools exports it."""
    request = record["request"]
    url = request["url"]
    query = url.partition("?")[2]
    response = record["response"] or {}
    headers = [{"name": n, "value": v} for n, v in record["headers"].items()]
    post = request.get("postData")
    if post is None and request.get("postDataEntries"):
        post = "".join(base64.b64decode(e["bytes"]).decode() for e in request["postDataEntries"])
    entry: dict[str, Any] = {
        "_initiator": {"type": "script"},
        "_priority": "High",
        "_resourceType": "fetch",
        "cache": {},
        "connection": "0",
        "pageref": "page_1",
        "request": {
            "method": request["method"],
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "queryString": [{"name": k, "value": v} for k, _, v in
                            (p.partition("=") for p in query.split("&") if p)],
            "cookies": [],
            "headersSize": -1,
            "bodySize": len(post.encode()) if post else 0,
        },
        "response": {
            "status": response.get("status", 0),
            "statusText": response.get("statusText", ""),
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": n, "value": v}
                        for n, v in (response.get("headers") or {}).items()],
            "cookies": [],
            "content": {"size": 0, "mimeType": response.get("mimeType", "x-unknown")},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_transferSize": 0,
            "_error": None,
        },
        "serverIPAddress": "127.0.0.1",
        "startedDateTime": datetime.datetime.fromtimestamp(
            record["wallTime"], datetime.UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"),
        "time": 3.2,
        "timings": {"blocked": 0.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1,
                    "wait": 2.4, "receive": 0.2, "_blocked_queueing": 0.3},
    }
    if post is not None:
        content_type = next((v for n, v in record["headers"].items()
                             if n.lower() == "content-type"), "")
        entry["request"]["postData"] = {"mimeType": content_type, "text": post}
    return entry


def h2_header_list(record: dict[str, Any]) -> str:
    """The Headers pane of DevTools for an HTTP/2 request: pseudo-headers first, then the
    fields with lowercase names, one ``name: value`` a line (Host and Connection do not exist in
    HTTP/2: RFC 9113 §8.2.2 and §8.3.1)."""
    request = record["request"]
    url = request["url"]
    scheme, _, rest = url.partition("://")
    authority, slash, target = rest.partition("/")
    lines = [f":authority: {authority}", f":method: {request['method']}",
             f":path: {slash}{target}", f":scheme: {scheme}"]
    for name, value in record["headers"].items():
        if name.lower() in ("host", "connection"):
            continue
        lines.append(f"{name.lower()}: {value}")
    return "\n".join(lines) + "\n"


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 18200
    origin: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        key_file = os.path.join(scratch, "agent.key")
        Path(key_file).write_text(KEY + "\n")
        os.chmod(key_file, 0o600)
        cert, tls_key = os.path.join(scratch, "cert.pem"), os.path.join(scratch, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
                        "-days", "1", "-keyout", tls_key, "-out", cert],
                       check=True, capture_output=True)
        http = f"http://127.0.0.1:{port}"
        https = f"https://127.0.0.1:{port + 1}"
        servers = [
            subprocess.Popen([*ERC8128, "serve", "--port", str(port), "--no-restart-guard",
                              "--quiet"]),
            subprocess.Popen([*ERC8128, "serve", "--port", str(port + 1), "--no-restart-guard",
                              "--tls-cert", cert, "--tls-key", tls_key, "--quiet",
                              "--public-url", https]),
        ]
        try:
            wait_listening(http)
            wait_listening(https)
            # ES modules resolve packages next to the script: run a copy inside the adapter.
            script = ROOT / "conformance/adapters/slicekit/.capture_sign.mjs"
            script.write_bytes((HERE / "slicekit_sign.mjs").read_bytes())
            try:
                slicekit = subprocess.run(
                    ["node", str(script), KEY, http + "/api/whoami?via=slicekit", "POST",
                     '{"hello":"world"}'], check=True, capture_output=True)
                logged_at = int(time.time())
                logged = subprocess.run(
                    ["node", str(script), KEY, http + "/api/whoami?via=console", "GET", "",
                     "console"], check=True, capture_output=True)
            finally:
                script.unlink()
            (HERE / "slicekit_legacy.http").write_bytes(slicekit.stdout)
            origin["slicekit_legacy.http"] = {"tool": "@slicekit/erc8128 0.2.0 signRequest",
                                              "now": int(time.time())}
            (HERE / "slicekit_console_log.txt").write_bytes(logged.stdout)
            origin["slicekit_console_log.txt"] = {
                "tool": "@slicekit/erc8128 0.2.0 signRequest, console.log of the Request",
                "now": logged_at}
            for name, base in (("curl_v_http.txt", http), ("curl_v_https.txt", https)):
                url = base + "/api/whoami?via=curl"
                headers, created = sign_headers(key_file, url)
                trace = subprocess.run(
                    ["curl", "-v", "-k", "-sS", url,
                     *(arg for line in headers for arg in ("-H", line))],
                    check=False, capture_output=True, text=True)
                (HERE / name).write_text(trace.stderr)
                origin[name] = {"tool": "erc8128 sign, then curl -v", "now": created}
            url = https + "/api/whoami?via=raw"
            headers, created = sign_headers(key_file, url)
            raw = ["GET /api/whoami?via=raw HTTP/1.1", f"Host: 127.0.0.1:{port + 1}", *headers]
            (HERE / "raw_ours_https.http").write_text("\r\n".join(raw) + "\r\n\r\n")
            origin["raw_ours_https.http"] = {"tool": "erc8128 sign, as raw HTTP/1.1",
                                             "now": created}
            trace = (HERE / "curl_v_http.txt").read_text().splitlines()
            cleaned = [line[2:] for line in trace if line.startswith("> ") or line == ">"]
            (HERE / "curl_hand_cleaned_http.txt").write_text("\n".join(cleaned) + "\n")
            origin["curl_hand_cleaned_http.txt"] = {**origin["curl_v_http.txt"],
                                                    "tool": "curl -v, '> ' lines kept"}
            created = int(time.time())
            verbose = subprocess.run(
                [*ERC8128, "request", "-v", http + "/api/whoami?via=request", "--key-file",
                 key_file], check=False, capture_output=True, text=True)
            (HERE / "erc8128_request_v.txt").write_text(verbose.stderr + verbose.stdout)
            origin["erc8128_request_v.txt"] = {"tool": "erc8128 request -v", "now": created}
            debug, created = python_debug_output(http + "/api/whoami?via=requests", key_file)
            (HERE / "python_requests_debug.txt").write_text(debug)
            origin["python_requests_debug.txt"] = {
                "tool": "requests + ERC8128Auth, http.client debuglevel 1", "now": created}
            for gateway, name, tool in PRINTED:
                printed, created = printed_by_app(gateway, port + 2, key_file)
                (HERE / name).write_text(printed)
                origin[name] = {"tool": tool, "now": created}
            logged, created = pino_http_log(port + 2, key_file)
            (HERE / "pino_http_log.txt").write_text(logged)
            origin["pino_http_log.txt"] = {"tool": PINO_TOOL, "now": created}

            record, records = capture_chromium(http, key_file)
            method, url = record["request"]["method"], record["request"]["url"]
            pairs = list(record["headers"].items())
            data = record["request"].get("postData")
            for name, platform in (("chrome_curl_bash.txt", "posix"),
                                   ("chrome_curl_cmd.txt", "win")):
                (HERE / name).write_text(copy_as_curl(method, url, pairs, data, platform) + "\n")
            # The Headers pane has no content; DevTools shows it in the Payload tab, pasted
            # after a blank line as in HTTP/1.1.
            (HERE / "chrome_h2_headers.txt").write_text(
                h2_header_list(record) + "\n" + (data or ""))
            entries = [har_entry(r) for r in records]
            entries.sort(key=lambda e: e["startedDateTime"])
            har = {"log": {"version": "1.2",
                           "creator": {"name": "WebInspector", "version": "537.36"},
                           "pages": [{"startedDateTime": entries[0]["startedDateTime"],
                                      "id": "page_1", "title": http + "/",
                                      "pageTimings": {"onContentLoad": 40.1, "onLoad": 41.5}}],
                           "entries": entries}}
            (HERE / "chrome_fetch.js").write_text(copy_as_fetch(
                method, url, pairs, data, record["request"].get("referrerPolicy")) + "\n")
            (HERE / "chrome_har_file.har").write_text(json.dumps(har, indent=2) + "\n")
            signed_entry = next(e for e in entries if e["request"]["url"] == url)
            (HERE / "chrome_har_entry.json").write_text(json.dumps(signed_entry, indent=2) + "\n")
            for name in ("chrome_curl_bash.txt", "chrome_curl_cmd.txt", "chrome_h2_headers.txt",
                         "chrome_fetch.js", "chrome_har_file.har", "chrome_har_entry.json"):
                origin[name] = {"tool": "chromium fetch, DevTools export form", "now":
                                record["created"]}
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
    (HERE / "origin.json").write_text(json.dumps(origin, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
