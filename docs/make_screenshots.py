"""Regenerate the screenshots of the inspector and the owner console in docs/.

    .venv/bin/python docs/make_screenshots.py

Starts ``erc8128 serve`` in-process on a free port, drives Debian's chromium through
/usr/bin/chromedriver (Selenium, headless) and writes docs/inspector.png, docs/console.png
(1280 px wide) and docs/inspector-phone.png (390 px wide). The console's wallet is a test
EIP-1193 provider whose personal_sign is the reference implementation, with a demo key
(sha256("screenshot owner"): never use it).
"""

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from erc8128.client import Client, Signer, redeem_invite, request_access
from erc8128.crypto.addresses import address_of
from erc8128.crypto.personal_sign import sign_message
from erc8128.server import ServerConfig, start_server

DOCS = Path(__file__).resolve().parent
OWNER_KEY = hashlib.sha256(b"screenshot owner").digest()
OWNER = address_of(OWNER_KEY)
WALLET = """
window.__wallet = {pending: [], resolvers: {}, next: 0};
window.ethereum = {request: ({method, params}) => {
  if (method === "eth_requestAccounts") return Promise.resolve([arguments[0]]);
  if (method === "eth_chainId") return Promise.resolve("0x1");
  if (method === "personal_sign") return new Promise((resolve) => {
    const id = window.__wallet.next++;
    window.__wallet.resolvers[id] = resolve;
    window.__wallet.pending.push({id: id, message: params[0]});
  });
  return Promise.reject(new Error("unsupported " + method));
}};
"""


def until(browser: Any, condition: Callable[[], Any]) -> Any:
    """Wait for ``condition``, signing what the page asks the wallet meanwhile."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for ask in browser.execute_script(
                "return window.__wallet ? window.__wallet.pending.splice(0) : []"):
            signature = sign_message(OWNER_KEY, bytes.fromhex(ask["message"][2:]))
            browser.execute_script("window.__wallet.resolvers[arguments[0]](arguments[1])",
                                   ask["id"], "0x" + signature.hex())
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(str(condition))


def shoot(browser: Any, width: int, name: str) -> None:
    browser.set_window_size(width, 800)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 40, 4000))
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    time.sleep(0.2)
    browser.save_screenshot(str(DOCS / name))
    print(f"wrote docs/{name}")


def main() -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        with start_server(ServerConfig(port=0)) as server:
            base = server.bound_url
            # The inspector on the tampered-body example: the failing step highlighted.
            browser.get(base + "/")
            until(browser, lambda: browser.execute_script("return document.body.dataset.ready"))
            Select(browser.find_element(By.ID, "example")).select_by_value("tampered-body")
            until(browser, lambda: browser.find_elements(By.ID, "verdict"))
            shoot(browser, 1280, "inspector.png")
            shoot(browser, 390, "inspector-phone.png")

            # The console after an onboarding: a project, an invite (with the command that
            # redeems it), two agents, the audit log (a pending agent's refusal included).
            browser.set_window_size(1280, 900)
            browser.get(base + "/console")
            until(browser, lambda: browser.execute_script("return document.body.dataset.ready"))
            browser.execute_script(WALLET, OWNER)
            browser.find_element(By.ID, "connect").click()
            until(browser, lambda: OWNER in browser.find_element(By.ID, "account").text)
            name = browser.find_element(By.ID, "project-name")
            name.clear()
            name.send_keys("Weather bots")
            browser.find_element(By.ID, "create-project").click()
            project = until(browser, lambda: browser.find_element(By.ID, "current-project").text)
            browser.find_element(By.ID, "create-invite").click()
            code = until(browser, lambda: browser.find_element(By.ID, "invite-code").text)
            invited = Client(base, Signer(hashlib.sha256(b"screenshot agent").digest()))
            asking = Client(base, Signer(hashlib.sha256(b"screenshot asker").digest()))
            redeem_invite(invited, code, "forecast-agent")
            request_access(asking, project, "radar-agent")
            invited.get(f"/api/projects/{project}/echo")
            asking.get(f"/api/projects/{project}/echo")  # pending: refused, in the audit log
            browser.find_element(By.ID, "agents-refresh").click()
            until(browser, lambda: len(browser.find_elements(
                By.CSS_SELECTOR, "#agents-table tbody tr")) == 2)
            browser.find_element(By.ID, "audit-refresh").click()
            until(browser, lambda: "of" in browser.find_element(By.ID, "audit-info").text)
            shoot(browser, 1280, "console.png")
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
