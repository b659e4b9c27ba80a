"""axe-core (from npm, installed into node_modules/ by `make test`) run in the page under test."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_findings(page) -> list[dict]:
    """Every accessibility violation axe-core finds on the page (WCAG 2.x A and AA, and its
    best practices), whatever its impact."""
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make test does)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const found = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                "best-practice"]},
            });
            return found.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return result


def axe_violations(page) -> list[dict]:
    """The page's accessibility violations of serious or critical impact."""
    return [v for v in axe_findings(page) if v["impact"] in SERIOUS]


def assert_accessible(page) -> list[dict]:
    """Fail on any serious or critical violation; return every finding (for the report)."""
    found = axe_violations(page)
    assert found == [], f"{page.url}: {found}"
    return found
