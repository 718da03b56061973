"""End to end in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium): load the
viewer page, submit a text, and check the highlighted spans in the DOM. Required in CI (.ci/run installs
Chromium); skipped elsewhere when Chromium is missing."""
import os
import shutil
import socket
import threading
import time

import pytest

from test_serve import model  # noqa: F401  (the tiny trained model fixture)

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER) and not os.environ.get("CI"):
    pytest.skip("Chromium and chromedriver are not installed", allow_module_level=True)


@pytest.fixture
def server(model):  # noqa: F811
    import uvicorn
    from zhner.serve import create_app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(model), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(5)


def test_viewer_highlights_entities_in_chromium(server):
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(server)
        assert "entity viewer" in driver.title
        driver.find_element(By.ID, "text").send_keys("昨天王芳去了广州市，王芳很开心。")
        driver.find_element(By.ID, "go").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#out mark"))
        marks = driver.find_elements(By.CSS_SELECTOR, "#out mark")
        found = {(m.get_attribute("data-label"), m.get_attribute("data-start"), m.get_attribute("data-end"))
                 for m in marks}
        assert {("PER", "2", "4"), ("GPE", "6", "9"), ("LOC", "6", "8")} <= found
        nested = driver.find_elements(By.CSS_SELECTOR, '#out mark[data-label="GPE"] > mark[data-label="LOC"]')
        assert nested and nested[0].text.startswith("广州")
        assert driver.find_element(By.ID, "out").text.replace("PER", "").replace("GPE", "").replace("LOC", "") \
            .startswith("昨天王芳去了广州")
    finally:
        driver.quit()
