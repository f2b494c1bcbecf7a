"""axe-core (from the npm registry, tests/interop/node_modules) run inside a Playwright page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / "interop/node_modules/axe-core/axe.min.js"

# Evaluated through the DevTools protocol, not as a <script>: the pages' Content-Security-Policy
# stays as strict as in production and no violation is reported.
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
  }));
}"""


@cache
def _source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm ci --prefix tests/interop")
    return AXE.read_text("utf-8")


def axe_violations(page) -> list[dict]:
    """Every axe-core violation on the page as it is now (WCAG 2.x A/AA and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    return page.evaluate(RUN)
