"""Swagger UI, driven as a person would in headless Chromium (Debian's `chromium` and
`chromium-driver`): authorize with a bearer token, then "Try it out" → "Execute" on a
project-member operation (`add_project_member`) and on the readiness report (`get_readiness`),
checking each live response and taking a screenshot of each (clients/screenshots/).

Run by clients/run with BUYIN_URL set; needs a running server. Exits non-zero when a step fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ.get("BUYIN_URL", "http://127.0.0.1:8080")
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
RUN = format(int(time.time() * 1000), "x")
PASSWORD = "correct horse battery staple"


def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """Sets up the data the browser works on (the browser itself does the operations tried)."""
    request = urllib.request.Request(BASE + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def person(name: str) -> tuple[str, str]:
    email = f"{name}-{RUN}@example.org"
    user = call("POST", "/api/v1/auth/register",
                {"email": email, "password": PASSWORD, "display_name": name})
    tokens = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    return user["id"], tokens["access_token"]


def browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-extensions",
                 "--window-size=1400,2400"):
        options.add_argument(flag)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def step(what: str) -> None:
    print(f"ok   {what}", flush=True)


def visible(driver: WebDriver, css: str, within: WebElement | None = None) -> WebElement:
    root = within or driver
    return WebDriverWait(driver, 20).until(lambda _: next(
        (e for e in root.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None))


def authorize(driver: WebDriver, token: str) -> None:
    visible(driver, "button.authorize").click()
    dialog = visible(driver, ".dialog-ux .modal-ux")
    field = visible(driver, "input[type=text], input[type=password]", dialog)
    field.send_keys(token)
    visible(driver, "button.authorize", dialog).click()
    visible(driver, "button.btn-done", dialog).click()
    step("authorized with a bearer token")


def try_it_out(driver: WebDriver, tag: str, operation_id: str, params: dict[str, str],
               body: str | None, expect: int) -> dict[str, Any]:
    """Expands the operation, fills it in, executes it and returns the live response body."""
    block = visible(driver, f"#operations-{tag}-{operation_id}")
    driver.execute_script("arguments[0].scrollIntoView()", block)
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    visible(driver, "button.try-out__btn", block).click()
    for name, value in params.items():
        field = visible(driver, f"tr[data-param-name='{name}'] input", block)
        field.clear()
        field.send_keys(value)
    if body is not None:
        editor = visible(driver, "textarea.body-param__text", block)
        shown = json.loads(editor.get_attribute("value") or "null")
        placeholders = [k for k, v in (shown or {}).items() if v in ("string", "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
        if not shown or placeholders:
            raise SystemExit(f"{operation_id}: the body editor shows no real example: {shown!r}")
        SHOTS.mkdir(exist_ok=True)
        block.screenshot(str(SHOTS / f"{operation_id}-example.png"))
        step(f"{operation_id}'s body editor starts from the documented example: {json.dumps(shown)}")
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys(Keys.DELETE)
        editor.send_keys(body)
    visible(driver, "button.execute", block).click()
    status = WebDriverWait(driver, 30).until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, f"#operations-{tag}-{operation_id} .live-responses-table tbody .response-col_status")))
    code = int(status.text.strip().split()[0])
    SHOTS.mkdir(exist_ok=True)
    driver.execute_script("arguments[0].scrollIntoView()", block)
    block.screenshot(str(SHOTS / f"{operation_id}.png"))
    answer = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_description pre")
    if code != expect:
        raise SystemExit(f"{operation_id}: Swagger UI got {code}, expected {expect}: {answer.text}")
    step(f"Try it out on {operation_id}: {code} (screenshot {SHOTS.name}/{operation_id}.png)")
    parsed: dict[str, Any] = json.loads(answer.text)
    return parsed


def main() -> None:
    lead_id, lead_token = person("lead")
    staff_id, staff_token = person("staff")
    org = call("POST", "/api/v1/orgs", {"name": f"Swagger Association {RUN}"}, lead_token)
    invitation = call("POST", f"/api/v1/orgs/{org['id']}/members",
                      {"user_id": staff_id, "role": "member"}, lead_token)
    call("POST", f"/api/v1/me/invitations/{invitation['id']}/accept", {}, staff_token)
    project = call("POST", f"/api/v1/orgs/{org['id']}/projects",
                   {"name": "Move to the new AMS"}, lead_token)

    driver = browser()
    try:
        driver.get(BASE + "/swagger-ui/")
        visible(driver, ".information-container")
        example = driver.find_elements(By.CSS_SELECTOR, ".opblock")
        step(f"Swagger UI loaded {len(example)} operations")
        authorize(driver, lead_token)
        member = try_it_out(
            driver, "project_members", "add_project_member", {"project_id": project["id"]},
            json.dumps({"user_id": staff_id, "role": "staff", "weekly_hours": 8,
                        "responsibility": "Membership renewals"}),
            201)
        if member.get("user_id") != staff_id:
            raise SystemExit(f"add_project_member answered {member}")
        report = try_it_out(driver, "readiness", "get_readiness",
                            {"project_id": project["id"]}, None, 200)
        if report.get("model") != 2:
            raise SystemExit(f"get_readiness answered {report}")
    finally:
        driver.quit()
    print(json.dumps({"swagger ui": "try it out works"}))


if __name__ == "__main__":
    sys.exit(main())
