"""The dashboard's accessibility at the root, in Chromium: a focus ring that is an outline of at
least 3:1 against the page and the control, and that survives forced colours (as does the mark of
the current tab); form fields whose edges are 3:1 against their background; focus that lands on
what a form produced (a new key, an invitation link, an invalid address, a failed sign-in); a
sticky composer that never covers what has focus; an image page titled apart from its thread.

Colours are read from computed styles and compared with WCAG's relative luminance, below.
Screenshots (focus visible) go to artifacts/screenshots/a11y-*."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.dashboard.browser import DESKTOP, SCREENSHOTS, Tab, made_images, own_room, screenshots

PASSWORD = "a long focused password"

_STYLES = """(node) => {
  const opaque = (start) => {
    for (let n = start; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(c)) return c;
    }
    return "rgb(255, 255, 255)";
  };
  const s = getComputedStyle(node);
  return {
    focusVisible: node.matches(":focus-visible"),
    outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor,
    outlineOffset: parseFloat(s.outlineOffset), boxShadow: s.boxShadow, border: s.borderTopColor,
    control: opaque(node), page: opaque(node.parentElement),
  };
}"""


# --- WCAG 2.x contrast ------------------------------------------------------------------------


def rgb(css: str, over: str = "rgb(255, 255, 255)") -> tuple[float, float, float]:
    """A computed colour as r, g, b; a translucent one as it shows over `over`."""
    r, g, b, *alpha = (float(n) for n in re.findall(r"[\d.]+", css)[:4])
    if not alpha or alpha[0] >= 1:
        return r, g, b
    under = rgb(over)
    return tuple(alpha[0] * c + (1 - alpha[0]) * u for c, u in zip((r, g, b), under, strict=True))


def luminance(color: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of colour `a` shown on colour `b`."""
    light, dark = sorted((luminance(rgb(a, over=b)), luminance(rgb(b))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def halo(box_shadow: str) -> str | None:
    """The colour of a focus halo (a spread box-shadow), if there is one."""
    found = re.match(r"(rgba?\([^)]*\))", box_shadow)
    return found.group(1) if found else None


# --- Places ---------------------------------------------------------------------------------


def _room(tab: Tab) -> tuple[str, httpx.Client]:
    return own_room(tab, owner="keyboard{n}@a11y.example", room="a11y room", password=PASSWORD, timeout=90)


def _focus(tab: Tab, locator) -> dict:
    """Focus `locator` as the keyboard would (so :focus-visible applies); its styles then."""
    tab.page.keyboard.press("Shift")  # the last input was a key: focus is drawn
    locator.focus()
    return locator.evaluate(_STYLES)


def _active(tab: Tab) -> str:
    return tab.page.evaluate(
        "(() => { const a = document.activeElement;"
        " return a ? `${a.tagName.toLowerCase()}#${a.id}.${[...a.classList].join('.')}` : 'none'; })()"
    )


# --- The focus ring and the edges of fields ---------------------------------------------------


def test_the_focus_ring_is_an_outline_of_at_least_3_to_1_against_the_page_and_the_control(tab):
    page = tab.page
    project_id, api = _room(tab)
    tab.go(f"/projects/{project_id}/keys")
    controls = {
        "a tab": page.locator("nav.tabs").get_by_role("link", name="Threads"),
        "the project switcher": page.get_by_label("Project", exact=True),
        "a plain button": page.get_by_role("button", name="Switch"),
        "a text field": page.get_by_label("Name"),
        "a select": page.get_by_label("Role"),
        "a primary button": page.get_by_role("button", name="Create key"),
        "a link button": page.get_by_role("button", name="Sign out"),
    }
    for what, control in controls.items():
        _assert_ring(what, _focus(tab, control))

    # The halo earns its place: a primary button is the ring's own colour.
    primary = _focus(tab, controls["a primary button"])
    assert contrast(halo(primary["boxShadow"]), primary["control"]) >= 3
    assert contrast(halo(primary["boxShadow"]), primary["outlineColor"]) >= 3
    screenshots(tab, "a11y-focus-ring-primary-button")
    _focus(tab, controls["a text field"])
    screenshots(tab, "a11y-focus-ring-text-field")

    # Where a container clips what is outside it (the tab bar, the usage page's days switch), the
    # ring is drawn inside the control: white on the filled current segment.
    with api:
        made_images(api, "a lighthouse on a cliff")  # usage to show: the switch appears
    tab.go(f"/projects/{project_id}/usage")
    days = page.get_by_role("navigation", name="Days shown")
    _assert_ring("the current days segment", _focus(tab, days.locator('[aria-current="page"]')))
    _assert_ring("another days segment", _focus(tab, days.locator("a:not([aria-current])").first))
    screenshots(tab, "a11y-focus-ring-days-switch")


def _assert_ring(what: str, ring: dict) -> None:
    """A solid outline of 3:1 against what touches it: the page outside the control (its offset
    gap may hold a halo of 3:1 against the control) or, drawn inside it, the control itself."""
    assert ring["focusVisible"], what
    assert ring["outlineStyle"] == "solid" and ring["outlineWidth"] >= 2, (what, ring)
    inside = ring["outlineOffset"] <= -ring["outlineWidth"]
    around = ring["control"] if inside else ring["page"]
    against_page = contrast(ring["outlineColor"], around)
    assert against_page >= 3, f"{what}: ring {ring['outlineColor']} on {around} is {against_page:.2f}:1"
    edge = halo(ring["boxShadow"]) if ring["outlineOffset"] > 0 else None
    against_control = max(contrast(c, ring["control"]) for c in filter(None, (ring["outlineColor"], edge)))
    assert against_control >= 3, f"{what}: ring on {ring['control']} is {against_control:.2f}:1 ({ring})"


def test_text_fields_and_selects_have_edges_of_at_least_3_to_1(tab):
    page = tab.page
    project_id, _ = _room(tab)
    fields = {
        f"/projects/{project_id}/keys": ["#id_name", "#id_role", "#project-switcher"],
        f"/projects/{project_id}/threads": ['input[type="search"]'],
        f"/projects/{project_id}/members": ["#id_email"],
    }
    for path, selectors in fields.items():
        tab.go(path)
        for selector in selectors:
            style = page.locator(selector).evaluate(_STYLES)
            ratio = contrast(style["border"], style["page"])
            assert ratio >= 3, f"{path} {selector}: edge {style['border']} on {style['page']} is {ratio:.2f}:1"


def test_in_forced_colours_the_ring_stays_and_the_current_tab_is_marked(tab):
    page = tab.page
    project_id, _ = _room(tab)
    page.emulate_media(forced_colors="active")
    tab.go(f"/projects/{project_id}/keys")
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    for control in (page.get_by_label("Name"), page.get_by_role("button", name="Create key")):
        ring = _focus(tab, control)
        assert ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 2, ring
    tabs = page.locator("nav.tabs a")
    current, other = tabs.filter(has_text="API keys"), tabs.filter(has_text="Members")
    expect(current).to_have_attribute("aria-current", "page")
    mark = "(a) => [getComputedStyle(a).textDecorationLine, getComputedStyle(a).borderBottomColor]"
    (current_line, current_edge), (other_line, other_edge) = current.evaluate(mark), other.evaluate(mark)
    canvas = current.evaluate(_STYLES)["control"]
    assert "underline" in current_line and "underline" not in other_line
    assert contrast(current_edge, canvas) >= 3, (current_edge, canvas)
    assert contrast(other_edge, canvas) < 1.5, f"the other tabs' underline ({other_edge}) shows on {canvas}"
    _focus(tab, tabs.filter(has_text="Members"))
    page.screenshot(path=str(SCREENSHOTS / "a11y-forced-colours-1280.png"), full_page=True)
    page.emulate_media(forced_colors="none")


# --- Focus where the person is ------------------------------------------------------------------


def test_focus_lands_on_what_a_form_produced(tab):
    page = tab.page
    project_id, _ = _room(tab)
    tab.go(f"/projects/{project_id}/keys")
    page.get_by_label("Name").fill("deploy bot")
    page.get_by_role("button", name="Create key").click()
    new_key = page.locator("section.callout")
    expect(new_key).to_be_focused()
    expect(new_key).to_contain_text("New key “deploy bot”")
    screenshots(tab, "a11y-new-key-focused")

    tab.go(f"/projects/{project_id}/members")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    screenshots(tab, "a11y-invalid-address-focused")
    page.get_by_label("Email address").fill("newcomer@a11y.example")
    page.get_by_role("button", name="Invite").click()
    invited = page.locator("section.callout")
    expect(invited).to_be_focused()
    expect(invited).to_contain_text("Invitation for newcomer@a11y.example")

    # A page without a result keeps focus where the browser puts it: nowhere in particular.
    tab.go(f"/projects/{project_id}/members")
    assert _active(tab).startswith("body"), _active(tab)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Email or username").fill("keyboard@a11y.example")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_focused()


# --- The sticky composer and titles ---------------------------------------------------------------


def test_what_has_focus_in_a_thread_is_never_under_the_sticky_composer(tab):
    page = tab.page
    project_id, api = _room(tab)
    with api:
        thread_id, _ = made_images(api, "a lighthouse on a cliff", n=2)
        for prompt in ("a lighthouse in the fog", "a lighthouse at night"):
            turn = api.post(
                f"/threads/{thread_id}/messages",
                json={
                    "content": prompt,
                    "operation": "generate_image",
                    "image_model_provider": "local",
                    "image_model_name": "easel-local-painter",
                },
            )
            assert turn.status_code == 200, turn.text
    page.set_viewport_size({"width": 1280, "height": 800})
    tab.go(f"/projects/{project_id}/threads/{thread_id}")
    composer = page.locator("form.composer")
    expect(composer).to_be_visible()
    room = page.evaluate("parseFloat(getComputedStyle(document.documentElement).scrollPaddingBottom)")
    assert room >= composer.bounding_box()["height"], "scroll-padding-bottom leaves room for the composer"

    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    checked = 0
    for _ in range(120):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
              const a = document.activeElement, c = document.querySelector("form.composer");
              if (c.contains(a)) return null;
              const r = a.getBoundingClientRect();
              return { inTurns: !!a.closest("#turns"), bottom: r.bottom, top: r.top, bar: c.getBoundingClientRect().top,
                       what: a.outerHTML.slice(0, 120) };
            }"""
        )
        if where is None:
            break
        if where["inTurns"]:
            checked += 1
            # Wholly above the composer (one taller than the room there, an image, ends just above it).
            assert 0 < where["bottom"] <= where["bar"] + 0.5, where
    assert checked >= 6, f"only {checked} focusable things in the conversation"
    page.set_viewport_size(DESKTOP)


def test_an_image_page_is_titled_apart_from_its_thread(tab):
    page = tab.page
    project_id, api = _room(tab)
    with api:
        thread_id, (document_id,) = made_images(api, "a lighthouse on a cliff")
    tab.go(f"/projects/{project_id}/threads/{thread_id}")
    thread_title = page.title()
    tab.go(f"/projects/{project_id}/images/{document_id}")
    assert page.title() != thread_title
    assert page.title().startswith("Image: a lighthouse on a cliff · "), page.title()
    assert page.title().endswith(" · Easel")
