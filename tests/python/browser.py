"""Drives rakenne's page in headless Chromium over the DevTools protocol (tests/browser.rs).

Usage: browser.py URL CHROMIUM FIXTURES SHOTS [SHARED_EXAMPLES]

Opens the page, checks documents through it the way a person would (pick a file, paste
text), reads the verdict, the findings and the field table from the DOM, follows a
finding to its line in the source view, switches the language, feeds markup in keys,
values and element names, and checks that no control lacks a label. Takes a screenshot
per state into SHOTS. Prints one line per check; exits non-zero on the first failure.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

URL, CHROMIUM, FIXTURES, SHOTS = sys.argv[1:5]
# With a fifth argument (the Kanta example documents' directory), only the real 15007
# document is checked: tests/browser.rs runs that as a test of its own, ignored without
# ../shared.
SHARED = sys.argv[5] if len(sys.argv) > 5 else ""
DEADLINE = time.monotonic() + 100


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def ok(message):
    print(f"ok: {message}", flush=True)


class Cdp:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    fail(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def eval(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            fail(f"script error in {expression[:80]!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, timeout=20):
        end = min(time.monotonic() + timeout, DEADLINE)
        while time.monotonic() < end:
            if self.eval(expression):
                return
            time.sleep(0.05)
        fail(f"timed out waiting for {what}")

    def screenshot(self, name, selector=None):
        """The page from its top (or from the element `selector`), at most 2600 px high."""
        metrics = self.send("Page.getLayoutMetrics")
        top = 0
        if selector:
            top = int(self.eval(f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top"
                                " + window.scrollY"))
        height = min(int(metrics["cssContentSize"]["height"]) - top, 2600)
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": top, "width": 1400, "height": height, "scale": 1})
        path = os.path.join(SHOTS, f"{name}.png")
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        ok(f"screenshot {path}")

    def set_files(self, selector, paths):
        root = self.send("DOM.getDocument", depth=1)["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.send("DOM.setFileInputFiles", nodeId=node, files=paths)


def start_chromium(profile):
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", "--window-size=1400,1000",
            f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"]
    browser = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if os.path.exists(port_file):
            with open(port_file) as f:
                lines = f.read().split("\n")
            if lines and lines[0].strip().isdigit():
                port = int(lines[0])
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return browser, pages[0]["webSocketDebuggerUrl"]
        if browser.poll() is not None:
            fail(f"chromium exited with {browser.returncode}")
        time.sleep(0.1)
    browser.kill()
    fail("chromium gave no DevTools port in 30 s")


SEQ = "Number(document.body.dataset.checks || 0)"


def check_document(cdp, document, frame=None, paste=None, structure=""):
    """Checks one document through the form; answers the new verdict."""
    before = cdp.eval(SEQ)
    cdp.eval("document.getElementById('paste').value = ''; document.getElementById('frame').value = '';"
             "document.getElementById('document').value = ''; document.getElementById('status').textContent = '';"
             f"document.getElementById('structure').value = {json.dumps(structure)};")
    if paste is not None:
        cdp.eval(f"document.getElementById('paste').value = {json.dumps(paste)}")
    else:
        cdp.set_files("#document", [os.path.abspath(document)])
    if frame:
        cdp.set_files("#frame", [os.path.abspath(frame)])
    cdp.eval("document.getElementById('run').click()")
    cdp.wait(f"{SEQ} > {before}", "a report")
    return cdp.eval("document.getElementById('verdict').dataset.verdict")


UNLABELED = """[...document.querySelectorAll('input, select, textarea, button')]
  .filter((e) => e.type !== 'hidden')
  .filter((e) => e.tagName === 'BUTTON'
    ? !(e.textContent.trim() || e.getAttribute('aria-label'))
    : !((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')))
  .map((e) => e.id || e.outerHTML.slice(0, 80))"""

INJECTED = """({
  scripts: document.querySelectorAll('script').length,
  injected: document.querySelectorAll('img, svg, iframe, object, embed, main script, [onerror], [onload]').length,
  pwned: window.__pwned === undefined ? null : window.__pwned,
})"""


def main():
    os.makedirs(SHOTS, exist_ok=True)
    # Chromium's helper processes may still write to the profile as it closes.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser, ws_url = start_chromium(profile)
        try:
            cdp = Cdp(ws_url)
            if SHARED:
                run_real(cdp)
            else:
                run(cdp)
            try:
                cdp.send("Browser.close")
                browser.wait(timeout=10)
            except Exception:  # the connection may close before the answer comes
                pass
        finally:
            if browser.poll() is None:
                browser.kill()
                browser.wait()


def open_page(cdp):
    for domain in ("Page", "Runtime", "Log", "DOM"):
        cdp.send(f"{domain}.enable")
    cdp.send("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
    cdp.send("Page.navigate", url=URL + "/?lang=fi")
    cdp.wait("document.readyState === 'complete' && document.querySelectorAll('#browse-list li button').length > 10",
             "the page and its structure list")
    ok("page loaded with the structure list")


def run_real(cdp):
    """The real 15007 document with its frame."""
    open_page(cdp)
    verdict = check_document(cdp, os.path.join(SHARED, "asia_ja_rajoitukset_testi_S.xml"),
                             frame=os.path.join(SHARED, "asia_ja_rajoitukset_testi_K.xml"))
    rows = cdp.eval("document.querySelectorAll('#fields tbody tr').length")
    tied = cdp.eval("document.getElementById('tied').textContent")
    if verdict != "FULLY_CONFORMANT" or rows < 10 or "1.2.246.537.6.1506.15007" not in tied:
        fail(f"15007: verdict {verdict}, {rows} field rows, tied {tied!r}")
    ok(f"real 15007 document with its frame: {verdict}, {rows} field rows")
    cdp.screenshot("5-kanta-15007")
    print("browser: all checks passed", flush=True)


def run(cdp):
    open_page(cdp)
    unlabeled = cdp.eval(UNLABELED)
    if unlabeled:
        fail(f"controls without a label: {unlabeled}")
    clean = cdp.eval(INJECTED)
    ok(f"every control has a label; {clean}")

    # A partly conformant CDA: verdict, findings, a field row, a finding to its line.
    verdict = check_document(cdp, os.path.join(FIXTURES, "lastensuojelu-suunnitelma-sisalto-virheet.xml"))
    if verdict != "PARTLY_CONFORMANT":
        status = cdp.eval("document.getElementById('status').textContent")
        fail(f"partly conformant CDA: verdict {verdict}, status {status}")
    label = cdp.eval("document.getElementById('verdict-label').textContent")
    count = int(cdp.eval("document.getElementById('findings-count').textContent"))
    if not label or count < 1:
        fail(f"verdict label {label!r}, {count} findings")
    ok(f"partly conformant CDA: {label!r}, {count} findings")
    row = cdp.eval("""(() => {
      const row = [...document.querySelectorAll('#fields tbody tr')].find((r) => r.dataset.pointer.endsWith('/etunimet')
        && r.dataset.pointer.includes('/asiakas/'));
      return row && { cls: row.className, status: row.querySelector('.status').textContent, name: row.cells[1].textContent };
    })()""")
    if not row or row["cls"] != "FIELD_STATUS_MISSING_REQUIRED" or row["status"] != "pakollinen puuttuu":
        fail(f"field row of asiakas/etunimet: {row}")
    ok(f"field row: {row}")
    cdp.eval("document.getElementById('f-missing').click()")
    shown = cdp.eval("[...document.querySelectorAll('#fields tbody tr')].map((r) => r.className)")
    if not shown or any(not c.startswith("FIELD_STATUS_MISSING") for c in shown):
        fail(f"missing-required filter shows {shown}")
    cdp.eval("document.getElementById('f-all').click()")
    ok(f"filter 'missing required' shows {len(shown)} rows")
    coverage = cdp.eval("document.getElementById('coverage').textContent")
    if "/" not in coverage:
        fail(f"coverage {coverage!r}")
    unlabeled = cdp.eval(UNLABELED)
    if unlabeled:
        fail(f"controls without a label in the report: {unlabeled}")
    follow_a_finding(cdp, "partly conformant CDA, content finding", "content")
    cdp.screenshot("1-partly-conformant-cda")

    # Keyboard: Enter on a focused finding link moves the view as a click does.
    cdp.eval("""document.querySelectorAll('#content .current').forEach((n) => n.classList.remove('current'));
      document.querySelector('#findings button.goto[data-view=content]').focus()""")
    for kind in ("keyDown", "keyUp"):
        cdp.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                 **({"text": "\r"} if kind == "keyDown" else {}))
    cdp.wait("document.querySelector('#content .line.current') !== null", "Enter on a finding link")
    ok("a finding link works from the keyboard")

    # From a finding's element to its definition in the structure browser.
    cdp.eval("document.querySelector('#findings button.definition').click()")
    cdp.wait("document.querySelector('#tree .el.target') !== null", "the element's definition")
    target = cdp.eval("document.querySelector('#tree .el.target').dataset.pointer")
    ok(f"finding's element opens its definition {target}")

    # The language switch changes the whole UI and asks for the messages again.
    before_label = cdp.eval("document.querySelector('label[for=document]').textContent")
    before = cdp.eval(SEQ)
    cdp.eval("{ const s = document.getElementById('lang'); s.value = 'sv'; s.dispatchEvent(new Event('change')); }")
    cdp.wait(f"{SEQ} > {before}", "the report in Swedish")
    after_label = cdp.eval("document.querySelector('label[for=document]').textContent")
    lang = cdp.eval("document.documentElement.lang")
    if after_label == before_label or not after_label.startswith("Handling") or lang != "sv":
        fail(f"language switch: {before_label!r} -> {after_label!r}, lang {lang}")
    status = cdp.eval("document.querySelector('#fields tbody tr.FIELD_STATUS_MISSING_REQUIRED .status').textContent")
    if status != "obligatorisk saknas":
        fail(f"field status in Swedish: {status!r}")
    ok(f"language switch: {before_label!r} -> {after_label!r}; status {status!r}")
    cdp.screenshot("2-swedish")
    before = cdp.eval(SEQ)
    cdp.eval("{ const s = document.getElementById('lang'); s.value = 'fi'; s.dispatchEvent(new Event('change')); }")
    cdp.wait(f"document.documentElement.lang === 'fi' && {SEQ} > {before}", "the report in Finnish again")

    # A header finding: its line in the CDA as sent.
    verdict = check_document(cdp, os.path.join(FIXTURES, "lapsiperhe-suunnitelma-hetu-tarkiste-otsikossa.xml"))
    if verdict != "PARTLY_CONFORMANT":
        fail(f"CDA with a bad header identity code: verdict {verdict}")
    follow_a_finding(cdp, "partly conformant CDA, header finding", "raw")
    cdp.screenshot("1b-header-finding")

    # An own template: the nearest national structures.
    verdict = check_document(cdp, os.path.join(FIXTURES, "oma-pohja.json"))
    nearest = cdp.eval("document.getElementById('nearest-box').hidden ? 0 : document.querySelectorAll('#nearest tbody tr').length")
    if verdict != "OWN_TEMPLATE" or nearest < 1:
        fail(f"own template: verdict {verdict}, {nearest} nearest structures")
    ok(f"own template: {nearest} nearest structures")
    cdp.screenshot("3-own-template")

    # An unreadable file.
    verdict = check_document(cdp, os.path.join(FIXTURES, "katkennut-xml.xml"))
    if verdict != "UNREADABLE":
        fail(f"unreadable: verdict {verdict}")
    follow_a_finding(cdp, "unreadable XML", "raw")
    cdp.screenshot("4-unreadable")

    # Markup in keys, values and element names stays text.
    with open(os.path.join(FIXTURES, "lastensuojeluilmoitus-taysi.json"), encoding="utf-8") as f:
        content = json.load(f)
    root = next(iter(content))
    content[root]["<script>window.__pwned=1</script>"] = "<img src=x onerror=\"window.__pwned=2\">"
    content[root]["asiakas"]["<svg onload=window.__pwned=3>"] = ["<iframe src=javascript:window.__pwned=4>"]
    content[root]["asiasisalto"] = "</pre><script>window.__pwned=5</script>"
    verdict = check_document(cdp, None, paste=json.dumps(content))
    undefined_rows = cdp.eval("document.querySelectorAll('#fields tbody tr.FIELD_STATUS_UNDEFINED').length")
    after = cdp.eval(INJECTED)
    shown = cdp.eval("document.getElementById('content').textContent.includes('<script>window.__pwned=1</script>')"
                     " && document.getElementById('fields').textContent.includes('<svg onload=window.__pwned=3>')")
    if after != clean or not shown or undefined_rows < 2:
        fail(f"markup in keys and values: {after} (before {clean}), shown as text {shown}, {undefined_rows} undefined rows")
    ok(f"markup in keys and values stays text ({verdict}, {undefined_rows} undefined rows)")
    cdp.screenshot("6-markup-as-text")
    xml = ('<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">\n'
           '<script>window.__pwned=6</script>\n<img src="x" onerror="window.__pwned=7"/>\n'
           '<title><![CDATA[<script>window.__pwned=8</script>]]></title>\n</ClinicalDocument>\n')
    verdict = check_document(cdp, None, paste=xml)
    after = cdp.eval(INJECTED)
    if after != clean:
        fail(f"markup in element names: {after} (before {clean})")
    ok(f"markup in element names stays text ({verdict})")

    # The structure browser: search by root key, open, read the tree.
    cdp.eval("{ const q = document.getElementById('browse-search'); q.value = 'lastensuojeluilmoitus';"
             " q.dispatchEvent(new Event('input')); }")
    hits = cdp.eval("document.querySelectorAll('#browse-list li button').length")
    if hits < 1:
        fail("no structure found by root key")
    cdp.eval("document.querySelector('#browse-list li button').click()")
    cdp.wait("document.querySelectorAll('#tree .el').length > 5", "the element tree")
    elements = cdp.eval("document.querySelectorAll('#tree .el').length")
    ok(f"structure browser: {hits} hits, {elements} elements in the tree")
    cdp.screenshot("7-structure-browser", "#browser")

    # The strict Content-Security-Policy held, and nothing broke.
    problems = [e for e in cdp.events if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"
                    and "favicon" not in e["params"]["entry"].get("url", ""))]
    if problems:
        fail(f"errors in the page: {problems[:3]}")
    ok("no script errors and no Content-Security-Policy violations")
    print("browser: all checks passed", flush=True)


def follow_a_finding(cdp, what, view):
    """Clicks the last finding with a location in `view` (raw: the document's line;
    content: the value of its pointer) and checks that view shows that line, in sight."""
    target = cdp.eval(f"""(() => {{
      const buttons = [...document.querySelectorAll('#findings button.goto[data-view={view}]')];
      const button = buttons[buttons.length - 1];
      if (!button) return null;
      document.getElementById('source').scrollTop = 0;
      document.getElementById('content').scrollTop = 0;
      button.click();
      return Number(button.dataset.targetLine);
    }})()""")
    if target is None:
        fail(f"{what}: no finding with a location in the {view} view")
    seen = cdp.eval(f"""(() => {{
      const pre = document.getElementById('{'source' if view == 'raw' else 'content'}');
      const current = pre.querySelector('.line.current');
      if (pre.hidden || !current) return null;
      const p = pre.getBoundingClientRect(), r = current.getBoundingClientRect();
      return {{ line: Number(current.dataset.line), visible: r.top >= p.top && r.bottom <= p.bottom,
               focused: document.activeElement === pre, scrollTop: pre.scrollTop }};
    }})()""")
    if not seen or seen["line"] != target or not seen["visible"] or not seen["focused"]:
        fail(f"{what}: clicked a finding at {view} line {target}, the view shows {seen}")
    ok(f"{what}: a finding's link moved the {view} view to line {target} ({seen})")


if __name__ == "__main__":
    main()
