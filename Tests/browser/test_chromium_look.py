"""The pages' one look, in headless Chromium: in the light and the dark scheme every text shown on
the start page, the agent desktop (signed out and in), the wallboard and the contact page is at
least 4.5:1 against its background (WCAG AA), the keyboard focus is drawn, and the pages fit a
400 px window."""

import os
import time

from test_chromium_agent import ARTIFACTS, chromium, write_tone
from test_chromium_desktop import unnamed_controls

# Every element with text of its own that is shown: its contrast against the first opaque
# background behind it (WCAG 2 relative luminance).
LOW_CONTRAST = r"""
const parse = (c) => { const p = c.match(/rgba?\(([^)]+)\)/)[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
const behind = (element) => {
  for (let e = element; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.a > 0) return c;
  }
  return parse(getComputedStyle(document.documentElement).backgroundColor);
};
const low = [];
for (const element of document.querySelectorAll('body *')) {
  if (!element.getClientRects().length || getComputedStyle(element).visibility === 'hidden') continue;
  if (!element.closest('svg') && ![...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  if (element.closest('svg') && element.tagName !== 'text') continue;
  const style = getComputedStyle(element);
  const fg = parse(element.tagName === 'text' ? style.fill : style.color);
  const [a, b] = [luminance(fg), luminance(behind(element))].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  if (ratio < 4.5) low.push(`${element.tagName}#${element.id} ${ratio.toFixed(2)} "${element.textContent.trim().slice(0, 24)}"`);
}
return low;
"""


def scheme(driver, name):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": name}]})


def settle(driver, condition, what):
    for _ in range(200):
        if driver.execute_script(f"return {condition};"):
            return
        time.sleep(0.1)
    raise AssertionError(what)


def test_every_page_is_readable_in_light_and_dark_and_shows_the_focus(gateway, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "tone.wav")
    write_tone(tone, 440)
    page = chromium(tone)
    page.set_window_size(400, 900)
    alice, sam = gateway.agents["Alice Agent"], gateway.agents["Sam Supervisor"]
    pages = [
        ("start", "/", "document.querySelector('h1')"),
        ("signed-out", "/softphone", "!document.getElementById('signin').hidden"),
        ("desktop", f"/softphone?token={gateway.token(alice)}", "!document.getElementById('agent').hidden"),
        ("wallboard", f"/supervisor?token={gateway.token(sam)}",
         "document.getElementById('chart-calls').dataset.points"),
        ("contact", f"/contact?token={gateway.token('customer-look')}", "!document.getElementById('contact').hidden"),
    ]
    try:
        for name, path, ready in pages:
            page.get(gateway.base + path)
            settle(page, ready, f"{name} is ready")
            for colors in ("light", "dark"):
                scheme(page, colors)
                background = page.execute_script("return getComputedStyle(document.body).backgroundColor;")
                assert background == ("rgb(255, 255, 255)" if colors == "light" else "rgb(17, 19, 24)"), (name, background)
                low = page.execute_script(LOW_CONTRAST)
                assert not low, f"{name} ({colors}): text below 4.5:1: {low}"
                assert page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;"), \
                    f"{name} ({colors}) scrolls sideways at 400 px"
                page.save_screenshot(os.path.join(ARTIFACTS, f"look-{name}-{colors}.png"))
            assert not unnamed_controls(page), (name, unnamed_controls(page))
            # The keyboard focus is drawn: a 3 px outline on the focused control.
            page.find_element("tag name", "body").click()
            ActionChains(page).send_keys(Keys.TAB).perform()
            outline = page.execute_script(
                "const s = getComputedStyle(document.activeElement);"
                "return document.activeElement === document.body ? null : [s.outlineStyle, s.outlineWidth];")
            if outline is not None:
                assert outline[0] != "none" and outline[1] == "3px", (name, outline)
            scheme(page, "light")
        # The check itself catches grey on white.
        page.execute_script("const p = document.createElement('p'); p.id = 'planted'; p.textContent = 'faint';"
                            "p.style.color = '#999'; document.body.appendChild(p);")
        assert [line.split()[0] for line in page.execute_script(LOW_CONTRAST)] == ["P#planted"]
    finally:
        page.quit()
