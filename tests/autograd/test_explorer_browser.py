"""The backprop explorer in a real browser: headless Chromium driven by selenium.

Each test saves a page to a file, opens it and checks what a person sees; a screenshot
of the end state is left in the test's tmp_path. The tests skip, saying why, without
selenium, Chromium, chromedriver or graphviz's `dot`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, Value, trace_backward

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                "(pip install selenium)")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = [
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver "
                       "(apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not found"),
]
HOSTILE = "</script><img src=x onerror=alert(1)>"
POSITIONS = """return [...document.querySelectorAll('.box')].map(
    b => { const r = b.getBBox(); return [r.x, r.y, r.width, r.height]; });"""


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1200,720",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit chromedriver: selenium-manager never downloads one
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(browser, trace, tmp_path: Path):
    path = trace.save_html(tmp_path / "page.html")
    browser.get_log("browser")  # start each test with empty logs
    browser.get_log("performance")
    browser.get(path.as_uri())
    return browser.find_element(By.TAG_NAME, "body")


def caption(browser) -> tuple[str, str]:
    return (browser.find_element(By.ID, "where").text,
            browser.find_element(By.ID, "text").text)


def neuron() -> Value:
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    return (w * x + b + x).tanh()


def assert_clean(browser, tmp_path: Path, name: str) -> None:
    """No console message above info, no request but the page's own file; a screenshot."""
    browser.save_screenshot(str(tmp_path / f"{name}.png"))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] != "INFO"]
    assert errors == []
    requests = [json.loads(entry["message"])["message"] for entry in
                browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests
            if m["method"] == "Network.requestWillBeSent"}
    # the log also holds the browser's own chrome:// pages and data: URLs (never sent)
    assert browser.current_url in urls
    assert [url for url in urls if url.split(":", 1)[0] not in ("file", "chrome", "data")] == []
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0


def test_keys_step_through_every_frame_and_nothing_moves(browser, tmp_path):
    trace = trace_backward(neuron())
    body = open_page(browser, trace, tmp_path)
    last = len(trace) - 1
    positions = browser.execute_script(POSITIONS)
    assert caption(browser) == (f"step 0 of {last}", trace[0].text())
    for k in range(1, last + 1):
        body.send_keys(Keys.ARROW_RIGHT)
        assert caption(browser) == (f"step {k} of {last}", trace[k].text())
        assert browser.execute_script(POSITIONS) == positions
    body.send_keys(Keys.ARROW_RIGHT)  # past the end: stays
    assert caption(browser)[1] == trace[last].text()
    body.send_keys(Keys.ARROW_LEFT)
    assert caption(browser)[1] == trace[last - 1].text()
    body.send_keys(Keys.HOME)
    assert caption(browser)[1] == trace[0].text()
    body.send_keys(Keys.END)
    assert caption(browser)[1] == trace[last].text()
    assert browser.execute_script(POSITIONS) == positions
    assert_clean(browser, tmp_path, "keys")


def test_the_step_shows_its_edges_inputs_and_running_totals(browser, tmp_path):
    trace = trace_backward(neuron())
    body = open_page(browser, trace, tmp_path)
    body.send_keys(Keys.ARROW_RIGHT)  # step 1: tanh passes its gradient to the sum
    passing = browser.find_elements(By.CSS_SELECTOR, ".edge.passing .elabel")
    assert [e.text for e in passing if e.text] == [f"{1 - np.tanh(2.0) ** 2:.4g}"]
    body.send_keys(Keys.ARROW_RIGHT)  # step 2: the last add: x gets its first share
    texts = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".box.input"))
    assert "grad so far 0.07065 (1 of 2)" in texts
    assert browser.find_elements(By.CSS_SELECTOR, ".box.current")
    grads = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.grad")]
    assert "grad ?" in grads
    body.send_keys(Keys.END)
    grads = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.grad")]
    assert "grad ?" not in grads and not any("so far" in g for g in grads)
    assert_clean(browser, tmp_path, "edges")


def test_the_slider_and_buttons_choose_the_step(browser, tmp_path):
    trace = trace_backward(neuron())
    open_page(browser, trace, tmp_path)
    slider = browser.find_element(By.ID, "slider")
    slider.click()  # the middle of the track
    k = int(slider.get_attribute("value"))
    assert 0 < k < len(trace) - 1
    assert caption(browser)[1] == trace[k].text()
    browser.find_element(By.ID, "next").click()
    assert caption(browser)[1] == trace[k + 1].text()
    browser.find_element(By.ID, "first").click()
    assert caption(browser)[1] == trace[0].text()
    browser.find_element(By.ID, "last").click()
    assert caption(browser)[1] == trace[-1].text()
    browser.find_element(By.ID, "prev").click()
    assert caption(browser)[1] == trace[len(trace) - 2].text()
    assert_clean(browser, tmp_path, "slider")


def test_the_forward_pass_shows_values_in_evaluation_order(browser, tmp_path):
    trace = trace_backward(neuron())
    body = open_page(browser, trace, tmp_path)
    browser.find_element(By.ID, "forward").click()
    assert caption(browser)[0] == "forward step 0 of 4"
    data = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.data")]
    assert data.count("data ?") == 4 and "data 0.5" in data  # the inputs are known
    body.send_keys(Keys.ARROW_RIGHT)
    assert caption(browser)[1] == "forward step 1: '(mul)' = 'w' * 'x' = 1"
    data = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.data")]
    assert data.count("data ?") == 3 and "data 1" in data
    for _ in range(4):  # the end of forward leads into backward
        body.send_keys(Keys.ARROW_RIGHT)
    assert caption(browser) == (f"step 0 of {len(trace) - 1}", trace[0].text())
    assert_clean(browser, tmp_path, "forward")


def test_a_hostile_label_shows_as_text_and_never_runs(browser, tmp_path):
    a, b = Value(1.0, label=HOSTILE), Value(2.0, label="b")
    trace = trace_backward(a * b)
    body = open_page(browser, trace, tmp_path)
    body.send_keys(Keys.END)
    assert caption(browser)[1] == trace[-1].text()
    assert HOSTILE in caption(browser)[1]
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return document.images.length") == 0
    box = browser.find_element(By.ID, "b1")  # the input a, after the output
    box.click()
    assert HOSTILE in browser.find_element(By.ID, "inspect").text
    assert_clean(browser, tmp_path, "hostile")


def test_a_tensor_graph_shows_shapes_and_the_inspector_details(browser, tmp_path):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    trace = trace_backward((x * x).sum())
    body = open_page(browser, trace, tmp_path)
    graph = browser.find_element(By.CSS_SELECTOR, "#view svg").text
    assert "(2, 3) float" in graph
    body.send_keys(Keys.END)
    browser.find_element(By.ID, "b2").click()
    details = browser.find_element(By.ID, "inspect").text
    assert "shape\n(2, 3)" in details and "final gradient\n[0, 2, 4, 6, …]" in details
    assert "final gradient norm" in details
    assert_clean(browser, tmp_path, "tensor")
