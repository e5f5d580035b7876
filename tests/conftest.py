"""Shared fixtures: the project's seeds, its own copy of expected.json, page builders."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.model import Page

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def make_page(text: str, source: str = "page.txt", record: str | None = None) -> Page:
    return Page(source=source, record=record, text=text,
                content_sha=hashlib.sha256(text.encode("utf-8")).hexdigest())


@pytest.fixture
def config() -> CleanConfig:
    return CleanConfig()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((Path(__file__).parent / "expected.json").read_text(encoding="utf-8"))
