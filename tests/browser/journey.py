"""One person's way through the site in Chromium: a tab per person, and at each step the
checks every journey page gets (the interface language, axe-core in the light and the dark
colour scheme, a screenshot at 1280 px and, for key steps, axe-core and a screenshot at
375 px with no sideways scrolling)."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

WIDE, NARROW, HEIGHT = 1280, 375, 900
# Retries back off for seconds, and CI machines are slow: wait longer than the default 5 s.
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)

# Impacts that fail a journey; axe-core's "minor" and "moderate" are left to review.
FAILING_IMPACTS = ("serious", "critical")

# axe-core's rules, or only those named (the dark scheme changes colours, nothing else).
RUN_AXE = """async ([impacts, only]) => {
  const options = {resultTypes: ["violations"]};
  if (only) options.runOnly = {type: "rule", values: only};
  const results = await axe.run(document, options);
  return results.violations
    .filter((violation) => impacts.includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => ({
        target: node.target.join(" "),
        html: node.html.slice(0, 300),
        summary: node.failureSummary,
      })),
      count: violation.nodes.length,
    }));
}"""

# Elements that stick out of the viewport on the right, unless an ancestor scrolls or clips
# them (wide tables sit in a scrolling .table-wrap on purpose). An absolutely positioned
# element is clipped only from its containing block (its nearest positioned ancestor) up.
FIND_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (element) => {
    let escaping = getComputedStyle(element).position === "absolute";
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      const clips = style.overflowX !== "visible";
      if (!escaping && clips) return true;
      if (escaping && style.position !== "static") {
        if (clips) return true;
        escaping = style.position === "absolute";
      }
    }
    return false;
  };
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !clipped(element)) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.className && typeof element.className === "string"
          ? "." + element.className.trim().split(/\\s+/).join(".") : "");
      out.push(`${name} (right edge at ${Math.round(box.right)} px)`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, elements: out.slice(0, 8)};
}"""


# Chromium reports each script, style or connection the Content-Security-Policy blocked as an
# error in the console ("... violates the following Content Security Policy directive ...").
CSP_REPORT = "Content Security Policy"


def watch_csp(context: BrowserContext, blocked: list[str]) -> None:
    """Add to `blocked` what the Content-Security-Policy blocks in any tab of `context`."""

    def on_console(message) -> None:
        if CSP_REPORT in message.text:
            blocked.append(f"{message.location['url']}: {message.text}")

    context.on("console", on_console)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}, {violation['count']} nodes):"
            f" {violation['help']}"
        )
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


@dataclass
class Journey:
    """A journey in one language. `tab(user)` opens a browser tab for one person; `check(page,
    step)` runs the checks on what that tab shows now."""

    browser: Browser
    base_url: str
    axe_script: str
    folder: Path
    lang: str
    steps: int = 0
    contexts: list[BrowserContext] = field(default_factory=list)
    csp_blocked: list[str] = field(default_factory=list)

    def tab(self, user=None) -> Page:
        """A new browser (cookies of its own) showing the home page in the journey's
        language; signed in as `user` when one is given."""
        context = self.browser.new_context(
            viewport={"width": WIDE, "height": HEIGHT}, base_url=self.base_url
        )
        context.set_default_timeout(TIMEOUT_MS)
        # axe-core is in every page before the page's own scripts, like an extension.
        context.add_init_script(script=self.axe_script)
        watch_csp(context, self.csp_blocked)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base_url}]
            )
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/")
        self.choose_language(page)
        return page

    def choose_language(self, page: Page) -> None:
        """Choose the journey's language with the switcher in the page's header."""
        if page.locator("html").get_attribute("lang") == self.lang:
            return
        switcher = page.locator('form:has(select[name="language"])')
        switcher.locator('select[name="language"]').select_option(self.lang)
        with page.expect_navigation():
            switcher.locator('button[type="submit"]').click()
        expect(page.locator("html")).to_have_attribute("lang", self.lang)

    def check(self, page: Page, step: str, *, narrow: bool = False) -> None:
        """The page is in the journey's language, has no serious or critical axe-core
        violation (nor any contrast one in the dark colour scheme), and is photographed
        (also checked and photographed at 375 px when `narrow`)."""
        page.wait_for_load_state()
        self.steps += 1
        name = f"{self.steps:02d}-{step}"
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        assert not self.csp_blocked, "\n".join(["Blocked by the CSP:", *self.csp_blocked])
        self.assert_accessible(page, name)
        page.emulate_media(color_scheme="dark")
        try:
            self.assert_accessible(page, f"{name}, dark", only=["color-contrast"])
        finally:
            page.emulate_media(color_scheme="light")
        self.screenshot(page, name, WIDE)
        if narrow:
            page.set_viewport_size({"width": NARROW, "height": HEIGHT})
            try:
                self.assert_accessible(page, f"{name}, {NARROW} px")
                overflow = page.evaluate(FIND_OVERFLOW)
                assert overflow["scrollWidth"] <= overflow["width"], (
                    f"{page.url} (step {name}) scrolls sideways at {NARROW} px:"
                    f" {overflow['elements']}"
                )
                self.screenshot(page, name, NARROW)
            finally:
                page.set_viewport_size({"width": WIDE, "height": HEIGHT})

    def assert_accessible(self, page: Page, name: str, only: list[str] | None = None) -> None:
        violations = page.evaluate(RUN_AXE, [list(FAILING_IMPACTS), only])
        assert not violations, (
            f"axe-core on {page.url} (step {name}):\n{format_violations(violations)}"
        )

    def screenshot(self, page: Page, name: str, width: int) -> None:
        page.screenshot(path=self.folder / f"{self.lang}-{width}-{name}.png", full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert not self.csp_blocked, "\n".join(["Blocked by the CSP:", *self.csp_blocked])
