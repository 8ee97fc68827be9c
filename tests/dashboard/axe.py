"""axe-core in a Playwright page: the WCAG 2.1 A and AA rules, run on the page as it is now.

axe-core is the npm package, pinned and installed into .cache/axe by scripts/test-prerequisites.sh
(`make test` runs it); the page gets it from that file, never from a CDN. It is evaluated through
the DevTools protocol rather than added as a <script>: the dashboard's CSP (script-src 'self')
refuses inline scripts, as it should.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.support.processes import ROOT

AXE_JS = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
    summary: v.nodes.length ? v.nodes[0].failureSummary : "",
  }));
}"""


def axe_file() -> Path:
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run scripts/test-prerequisites.sh (make test does)")
    return AXE_JS


@functools.cache
def _source() -> str:
    return axe_file().read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on `page`: rule id, impact, help, target selectors, and why."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source() + "\n;undefined")
    return page.evaluate(_RUN, WCAG_21_AA)


def readable(found: list[dict]) -> str:
    """One line per rule, then its targets: what a failing assertion prints."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {target}" for target in v["targets"][:8])
        if v["summary"]:
            lines.append("    " + v["summary"].replace("\n", "\n    "))
    return "\n".join(lines)


def assert_no_violations(page, where: str) -> None:
    found = violations(page)
    assert not found, f"axe found {len(found)} rule(s) broken on {where}:\n{readable(found)}"
