"""The reason table is complete: every rejection the code can emit is listed, documented, and vice versa."""
from __future__ import annotations

import ast
import re

from cleaners.reasons import REJECTIONS, STRICT_KINDS, kind_of, strict_failures
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
                    if getattr(target, "id", None) == "reason" and isinstance(value, ast.Constant):
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
