from __future__ import annotations

from pathlib import Path

from cleaners.config import CleanConfig
from cleaners.explain import main, render
from tests.conftest import make_page


def test_render_marks_each_removed_line_with_its_reason_and_shows_cut_promos() -> None:
    page = make_page("Floods close schools\nHeavy rain closed more than 200 schools on Monday, officials "
                     "said, as rivers rose. Subscribe now for unlimited access.\nShare on Facebook")
    lines = render(page, CleanConfig()).splitlines()
    assert lines[0].split() == ["0", "-", "title", "Floods", "close", "schools"]
    assert lines[1].split()[:2] == ["1", "Heavy"]
    assert "- glued_promo" in lines[2] and "Subscribe now for unlimited access." in lines[2]
    assert lines[3].split()[:3] == ["2", "-", "share_prompt"]
    assert "[main 0] 'Floods close schools'" in lines[5]


def test_cli_explains_a_gzipped_file(tmp_path: Path, capsys) -> None:
    import gzip
    path = tmp_path / "p.txt.gz"
    path.write_bytes(gzip.compress(b"Title here\nA long enough body sentence for the page, with words.\nMenu\n"))
    assert main([str(path)]) == 0
    assert "- navigation" in capsys.readouterr().out
