"""The reason table is complete: every rejection the code can emit is listed, documented, and vice versa."""
from __future__ import annotations

import ast
import re

import pytest

from cleaners.reasons import (
    CHROME_REMOVALS,
    GLUED_PROMO,
    PARTIAL_REMOVALS,
    REJECTIONS,
    REMOVALS,
    STRICT_KINDS,
    kind_of,
    removal_kind,
    strict_failures,
)
from cleaners.report.data import _chrome_rows, is_chrome
from cleaners.text.page import METADATA_REASONS, REPEAT_REASONS
from tests.conftest import ROOT


def emitted_reasons() -> set[str]:
    """Reason literals in the library: ``Rejection(_, _, "x", ...)``, ``_rejected(page, "x", ...)``, ``reason = "x"``."""
    found: set[str] = set()
    for path in (ROOT / "cleaners").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                position = {"Rejection": 2, "_rejected": 1}.get(name)
                if position is None:
                    continue
                candidates = node.args[position:position + 1] + [k.value for k in node.keywords if k.arg == "reason"]
                found |= {a.value for a in candidates if isinstance(a, ast.Constant) and isinstance(a.value, str)}
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple) \
                    and isinstance(node.value, ast.Tuple):
                for target, value in zip(node.targets[0].elts, node.value.elts):
                    if getattr(target, "id", None) == "reason" and isinstance(value, ast.Constant) \
                            and isinstance(value.value, str):
                        found.add(value.value)
            elif isinstance(node, ast.FunctionDef) and node.name == "too_large":
                found.add("too_large")
    return found


def test_every_emitted_reason_is_in_the_table_and_every_listed_one_is_emitted() -> None:
    emitted = emitted_reasons()
    assert emitted - set(REJECTIONS) == set(), "add these to cleaners/reasons.py"
    assert set(REJECTIONS) - emitted == set(), "listed in cleaners/reasons.py but never emitted"


def test_the_readme_lists_every_reason_with_its_kind() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What happens to bad input"):]
    section = section[: section.index("\n## ", 5)]
    for code, reason in REJECTIONS.items():
        assert re.search(rf"\| `{code}` \| {reason.kind} \|", section), code


def test_strict_counts_only_inputs_that_should_have_been_used() -> None:
    counts = {"decode_error": 2, "empty_after_cleaning": 5, "hidden_file": 1, "timeout": 1, "shard_failed": 1}
    assert strict_failures(counts) == {"decode_error": 2, "timeout": 1, "shard_failed": 1}
    assert kind_of("made_up_reason") == "fault" and "fault" in STRICT_KINDS


# --------------------------------------------------------------------- removals
#: Where removal reasons are decided: the text stage and the HTML stage.
EMITTERS = ("cleaners/text", "cleaners/html")
#: Calls whose ``reason`` is a rejection (checked above), not a removal.
REJECTION_CALLS = frozenset({"Rejection", "_rejected"})
#: Sink expressions whose reasons come from a table or a map, not a constant, and what covers them.
#: A new one makes the test fail until it is listed here with the table its values come from.
DYNAMIC = {
    ("chrome.py", "rule.reason"): "LINE_RULES",  # text: mark_chrome; the rules are introspected
    ("chrome.py", "reason"): "HTML_INTENTS",  # html: RemovedElement(reason, ...) from intent_of()
    ("rules.py", "reason"): "passed through",  # LineRule(reason, ...) inside _rule(reason, ...)
    ("page.py", "reason"): "passed through",  # RemovedLine(..., reason, ...) inside _removed(..., reason, ...)
    ("page.py", "line.reason"): "passed through",  # _removed(..., line.reason, ...): a reason set elsewhere
    ("page.py", "el.reason"): "passed through",  # _removed(..., el.reason, ...): a RemovedElement's
    ("page.py", "layout.outside"): "map",  # Layout.outside: filled by `outside[i] = ...` (scanned)
    ("page.py", "body.removed"): "map",  # Body.removed: filled by `removed[line] = ...` (scanned)
    ("segment.py", "block"): "BLOCK_REASONS",  # outside[i] = block ...: a block header's kind
}
#: Dicts of line -> reason whose item assignments are sinks too (``outside[i] = "outside_article"``).
REASON_MAPS = frozenset({"outside", "removed"})


def _string_constants() -> dict[str, str]:
    """Module-level ``NAME = "text"`` constants of the whole library (names are unique enough)."""
    constants: dict[str, str] = {}
    for path in (ROOT / "cleaners").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        constants[target.id] = node.value.value
    return constants


def _reason_parameters(trees: dict[str, ast.Module]) -> dict[tuple[str, str], int]:
    """Callables of the emitting modules and ``cleaners/model.py`` taking a ``reason``, and its position.

    Keyed by (module, name) and ("", name): a call resolves to its own module's definition first
    (``_removed`` of the text and the HTML stage take the reason at different positions).
    """
    params: dict[tuple[str, str], int] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg != "self"]
            elif isinstance(node, ast.ClassDef):
                names = [s.target.id for s in node.body
                         if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
            else:
                continue
            if "reason" in names:
                params[(path, node.name)] = params[("", node.name)] = names.index("reason")
    return params


def emitter_sources() -> dict[str, str]:
    """The emitting modules' sources by path (``cleaners/model.py`` too, for its classes' ``reason`` fields)."""
    paths = [p for d in EMITTERS for p in sorted((ROOT / d).glob("*.py"))] + [ROOT / "cleaners/model.py"]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in paths}


def scanned_removal_reasons(sources: dict[str, str] | None = None) -> tuple[set[str], set[tuple[str, str]]]:
    """Reason constants at every place a removal reason is set, and the expressions that are not constants.

    Sinks: assignments to ``.reason`` (``line.reason = "title"``, ``line.reason, draft.title = "title", ...``),
    the ``reason`` argument of any call taking one (``RemovedLine``, ``_removed``, ``Line``, ``_rule``,
    ``RemovedElement``...; rejections excluded), and items of the reason maps. An expression is read
    through ``a if c else b``, ``a or b``, ``m.get(k, default)`` and module constants.
    """
    sources = emitter_sources() if sources is None else sources
    trees = {path: ast.parse(text) for path, text in sources.items()}
    constants = _string_constants() | {
        t.id: n.value.value for tree in trees.values() for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
        for t in n.targets if isinstance(t, ast.Name) and t.id.isupper()}
    positions = _reason_parameters(trees)
    found: set[str] = set()
    dynamic: set[tuple[str, str]] = set()

    def read(expr: ast.expr, module: str) -> None:
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                found.add(expr.value)
        elif isinstance(expr, ast.Name) and expr.id in constants:
            found.add(constants[expr.id])
        elif isinstance(expr, ast.IfExp):
            read(expr.body, module)
            read(expr.orelse, module)
        elif isinstance(expr, ast.BoolOp):
            for value in expr.values:
                read(value, module)
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
            read(expr.func.value, module)
            for default in expr.args[1:2]:
                read(default, module)
        else:
            dynamic.add((module, ast.unparse(expr)))

    for path, tree in trees.items():
        if path == "cleaners/model.py":
            continue
        module = path.rsplit("/", 1)[-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    pairs = (zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple)
                             and isinstance(node.value, ast.Tuple) else [(target, node.value)])
                    for t, v in pairs:
                        sets_reason = isinstance(t, ast.Attribute) and t.attr == "reason"
                        fills_map = isinstance(t, ast.Subscript) and getattr(t.value, "id", None) in REASON_MAPS
                        if sets_reason or fills_map:
                            read(v, module)
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                position = positions.get((path, name), positions.get(("", name)))
                if name in REJECTION_CALLS or position is None:
                    continue
                for arg in node.args[position:position + 1] + [k.value for k in node.keywords if k.arg == "reason"]:
                    if not isinstance(arg, ast.Starred):
                        read(arg, module)
    return found, dynamic


def table_removal_reasons() -> dict[str, set[str]]:
    """Reasons in the rule tables, by table (what the dynamic sinks above can carry)."""
    from cleaners.html import chrome as html_chrome
    from cleaners.text.rules import LINE_RULES
    from cleaners.text.segment import BLOCK_REASONS

    return {
        "LINE_RULES": {rule.reason for rule in LINE_RULES},
        "BLOCK_REASONS": set(BLOCK_REASONS.values()),
        "HTML_INTENTS": set(html_chrome._WORDS) | set(html_chrome._TAGS.values()) | set(html_chrome._ROLES.values()),
    }


def emitted_removal_reasons() -> set[str]:
    found, dynamic = scanned_removal_reasons()
    unknown = {sink for sink in dynamic if sink not in DYNAMIC}
    assert not unknown, f"reasons set from expressions the test cannot read; list them in DYNAMIC: {unknown}"
    assert set(DYNAMIC) <= dynamic, f"no longer in the code, drop from DYNAMIC: {set(DYNAMIC) - dynamic}"
    return found.union(*table_removal_reasons().values())


def test_every_removal_reason_the_code_can_emit_is_registered_and_every_registered_one_is_emitted() -> None:
    emitted = emitted_removal_reasons()
    assert emitted - set(REMOVALS) == set(), "add these to REMOVALS in cleaners/reasons.py (and the README)"
    assert set(REMOVALS) - emitted == set(), "registered in cleaners/reasons.py but never emitted"
    # and the scan sees what the tables hold: the text rules' reasons are found as _rule("...") calls
    assert table_removal_reasons()["LINE_RULES"] <= scanned_removal_reasons()[0]


@pytest.mark.parametrize("snippet, reason", [
    ("line.reason = 'brand_new'", "brand_new"),
    ("lines[i].reason, draft.title = 'brand_new', line.text", "brand_new"),
    ("BRAND_NEW = 'brand_new'\nline.reason = BRAND_NEW if x else None", "brand_new"),
    ("line.reason = overrides.get(i) or defaults.get(i, 'brand_new')", "brand_new"),
    ("outside[i] = block if block else 'brand_new'", "brand_new"),
    ("lines.append(Line(no, tail, 'brand_new'))", "brand_new"),
    ("def _removed(page, no, text, reason, article): ...\n_removed(page, 1, t, 'brand_new', None)", "brand_new"),
    ("RULES = (_rule('brand_new', r'^x$', 3, 'none'),)", "brand_new"),
    ("out.append(RemovedElement('html_brand_new', text, 0))", "html_brand_new"),
    ("@dataclass\nclass Cut:\n    line: int\n    reason: str\ncuts.append(Cut(3, reason='brand_new'))", "brand_new"),
])
def test_the_scan_finds_a_new_removal_reason_however_it_is_set(snippet: str, reason: str) -> None:
    """A new emitter in any of these forms is seen, and then fails the registry test until registered."""
    sources = emitter_sources() | {"cleaners/text/new_stage.py": snippet}
    assert reason in scanned_removal_reasons(sources)[0] and reason not in REMOVALS


def test_a_reason_the_scan_cannot_read_fails_until_the_test_is_told_its_source() -> None:
    sources = emitter_sources() | {"cleaners/html/new_stage.py": "line.reason = pick_reason(line)"}
    assert ("new_stage.py", "pick_reason(line)") in scanned_removal_reasons(sources)[1]
    assert ("new_stage.py", "pick_reason(line)") not in DYNAMIC
    assert ("cleaners/text/rejects.py", "") not in DYNAMIC
    rejection = {"cleaners/text/rejects.py": "r = Rejection(src, rec, 'not_a_removal', 'detail')"}
    assert "not_a_removal" not in scanned_removal_reasons(emitter_sources() | rejection)[0]


def test_removal_kinds_and_the_sets_derived_from_them() -> None:
    assert {e.kind for e in REMOVALS.values()} == {"chrome", "metadata", "repeat"}
    assert METADATA_REASONS == {"title", "byline", "dateline", "entry_meta"}
    assert REPEAT_REASONS == {"repeated_line", "repeated_paragraph", "title_repeat"}
    assert PARTIAL_REMOVALS == {GLUED_PROMO} == {"glued_promo"} and removal_kind(GLUED_PROMO) == "chrome"
    assert removal_kind("byline") == "metadata" and removal_kind("repeated_line") == "repeat"
    assert removal_kind("made_up_reason") == "chrome"  # as before: anything not listed counts as chrome
    assert is_chrome("html_ad") and is_chrome("outside_body") and is_chrome("made_up_reason")
    assert not any(is_chrome(r) for r in ("title", "repeated_paragraph", "glued_promo"))
    assert {r for r in REMOVALS if is_chrome(r)} == CHROME_REMOVALS - PARTIAL_REMOVALS


def test_chrome_rows_of_the_report_follow_the_registry() -> None:
    import pyarrow as pa

    reasons = sorted(REMOVALS) + ["made_up_reason"]
    table = pa.table({"reason": reasons, "text": reasons})
    assert _chrome_rows(table).column("reason").to_pylist() == [r for r in reasons if is_chrome(r)]


def readme_removal_rows() -> list[tuple[list[str], str, str]]:
    """(codes, kind, meaning) of each row of the README's table "What was removed, and why"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### What was removed, and why"):]
    section = section[: section.index("\n#", 5)]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) != 3:
            continue
        rows.append((re.findall(r"`([a-z_]+)`", cells[0]), cells[1], cells[2]))
    return rows


def test_the_readme_lists_every_removal_reason_with_its_kind_and_no_other() -> None:
    rows = readme_removal_rows()
    listed = {code for codes, _, _ in rows for code in codes}
    assert set(REMOVALS) - listed == set(), "add these to the README's table 'What was removed, and why'"
    assert listed - set(REMOVALS) == set(), "the README lists reasons the registry does not know"
    for codes, kind, _ in rows:
        for code in codes:
            entry = REMOVALS[code]
            assert kind == entry.kind + (" (cut from a line)" if entry.partial else ""), code
