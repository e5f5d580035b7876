"""The dedup index across runs: embedded files and a real Redis server give the same verdicts."""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.dedup.index import RedisIndex, parse_redis_url
from cleaners.dedup.minhash import SEED, shingle_hash
from cleaners.dedup.shingles import word_shingles
from cleaners.outcome import NothingCommitted
from cleaners.pipeline import run
from tests.test_incremental import STORIES, edited, rows, state, write_inbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on loopback, no persistence, stopped at the end."""
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@contextmanager
def redis_server(folder: Path, port: int | None = None,
                 persist: bool = False) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real redis-server on loopback (``persist``: every write in its append-only file in ``folder``, as a
    server that must not lose data keeps it); its URL and its process, stopped at the end if still running."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("NEWSCLEAN_REQUIRE_SERVERS"):
            pytest.fail("redis-server is not installed (CI installs Debian's redis-server in .ci/run)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    durability = ["--appendonly", "yes", "--appendfsync", "always"] if persist else ["--appendonly", "no"]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *durability,
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        client.close()
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)


def index_of(out: Path, url: str) -> RedisIndex:
    from cleaners.io.dataset import current_state, read_manifest

    dataset_id = read_manifest(current_state(out))["dataset_id"]
    return RedisIndex(url, dataset_id, CleanConfig())


def test_redis_holds_the_index_across_runs_and_gives_the_embedded_verdicts(tmp_path: Path, redis_url: str) -> None:
    for mode, index in (("embedded", None), ("redis", redis_url)):
        inbox, out = tmp_path / mode / "inbox", tmp_path / mode / "out"
        write_inbox(inbox, ["harbour", "orchard", "bridge"])
        run([inbox], out, index=index)
        (inbox / "copy.txt").write_text(edited(STORIES["bridge"]), encoding="utf-8")
        run([inbox], out, index=index)
    assert state(tmp_path / "embedded" / "out") == state(tmp_path / "redis" / "out")
    dups = rows(tmp_path / "redis" / "out", "duplicates")
    assert [d["source"] for d in dups] == ["copy.txt"]
    assert index_of(tmp_path / "redis" / "out", redis_url).size() == 3


def test_plain_datasketch_code_can_query_the_redis_index_of_the_text_and_of_the_lead(
        tmp_path: Path, redis_url: str) -> None:
    from datasketch import MinHash, MinHashLSH

    from cleaners.dedup.minhash_lsh import lead_text

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out, index=redis_url)
    index = index_of(out, redis_url)
    host, port, db = parse_redis_url(redis_url)
    config = CleanConfig()
    orchard = next(r for r in rows(out, "articles") if r["source"] == "orchard.txt")
    for basename, params, text in ((index.basename, None, orchard["text"]),
                                   (index.basename + b":lead", config.lead_banding,
                                    lead_text(orchard["text"], config.lead_words))):
        lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=128, params=params, storage_config={
            "type": "redis", "basename": basename, "redis": {"host": host, "port": port, "db": db}})
        query = MinHash(num_perm=128, seed=SEED, hashfunc=shingle_hash())  # datasketch's own signature
        query.update_batch(list(word_shingles(text, 3)))
        assert orchard["article_id"] in lsh.query(query), basename
        if params is not None:
            assert lsh.query(query) == [orchard["article_id"]], "unrelated leads share no bucket"


def test_the_redis_index_follows_the_dataset_when_it_was_lost_or_rebuilt(tmp_path: Path, redis_url: str) -> None:
    import redis

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out, index=redis_url)
    host, port, db = parse_redis_url(redis_url)
    redis.Redis(host=host, port=port, db=db).flushdb()  # as if the run had died between commit and index update
    (inbox / "copy.txt").write_text(edited(STORIES["orchard"]), encoding="utf-8")
    summary = run([inbox], out, index=redis_url)
    assert summary.dedup["duplicates_of_earlier_runs"] == 1
    assert index_of(out, redis_url).size() == 2

    other = tmp_path / "other"
    write_inbox(other, ["bridge"])
    run([other], out, index=redis_url, full_rebuild=True)  # the index now holds only the rebuilt run
    assert index_of(out, redis_url).size() == 1


def test_the_redis_index_follows_an_output_of_delta_tables_too(tmp_path: Path, redis_url: str) -> None:
    import redis

    pytest.importorskip("deltalake")
    from cleaners.store.state import committed_state

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    run([inbox], out, index=redis_url, layout="delta")
    state = committed_state(str(out))
    assert state is not None
    index = RedisIndex(redis_url, state.manifest()["dataset_id"], CleanConfig())
    assert index.size() == 2
    host, port, db = parse_redis_url(redis_url)
    redis.Redis(host=host, port=port, db=db).flushdb()  # lost: the next run fills it from the _index table
    (inbox / "copy.txt").write_text(edited(STORIES["orchard"]), encoding="utf-8")
    summary = run([inbox], out, index=redis_url)
    assert summary.dedup["duplicates_of_earlier_runs"] == 1 and index.size() == 2


def test_a_bad_index_url_is_a_clear_error_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(NothingCommitted, match="redis://HOST:PORT/DB"):
        run([tmp_path], tmp_path / "out", index="http://localhost:6379")
    with pytest.raises(NothingCommitted, match="cannot reach the Redis index"):
        run([tmp_path], tmp_path / "out2", index=f"redis://127.0.0.1:{free_port()}/0")


def test_a_redis_index_needs_the_same_lsh_bands_the_embedded_one_does_not(tmp_path: Path, redis_url: str) -> None:
    """Redis keeps its buckets, so other bands would never meet them; embedded bands again every run."""
    for index in (None, redis_url):
        inbox, out = tmp_path / str(bool(index)) / "inbox", tmp_path / str(bool(index)) / "out"
        write_inbox(inbox, ["harbour"])
        run([inbox], out, index=index)
        write_inbox(inbox, ["orchard"])
        other_bands = CleanConfig(lsh_threshold=0.3)
        if index is None:
            run([inbox], out, other_bands, index=index)
        else:
            with pytest.raises(NothingCommitted, match="lsh_bands"):
                run([inbox], out, other_bands, index=index)


def test_redis_killed_while_a_committed_run_adds_its_articles_only_warns_and_the_next_run_adds_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17, case 19. Before: exit 1 with a traceback and no report. The run is committed when Redis
    goes, so it ends as committed (exit 0) with a warning and its report; the next run adds it to Redis."""
    import signal

    import cleaners.dedup.index as index_module
    from flows.clean import main

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    write_inbox(inbox, ["harbour", "orchard"])
    with redis_server(tmp_path, persist=True) as (url, server):
        run([inbox], out, index=url)
        assert index_of(out, url).size() == 2

        write_inbox(inbox, ["bridge"])
        (inbox / "copy.txt").write_text(edited(STORIES["orchard"]), encoding="utf-8")
        pack = index_module._pack
        killed = []

        def kill_redis_then_pack(*args: object) -> bytes:  # called per article, after the run's ids went in
            if not killed:
                server.send_signal(signal.SIGKILL)
                server.wait(10)
                killed.append(server.pid)
            return pack(*args)

        monkeypatch.setattr(index_module, "_pack", kill_redis_then_pack)
        capsys.readouterr()
        warnings: list[logging.LogRecord] = []  # a handler of its own: Prefect's logging setup may stop propagation
        handler = logging.Handler(logging.WARNING)
        handler.emit = warnings.append  # type: ignore[method-assign]
        logging.getLogger("cleaners").addHandler(handler)
        try:
            code = main(["--no-prefect", "--no-progress", "--json", str(inbox), "-o", str(out), "--index", url])
        finally:
            logging.getLogger("cleaners").removeHandler(handler)
        monkeypatch.undo()
        printed = capsys.readouterr()
        assert killed, "Redis was not killed while the run added its articles"
        assert code == 0, printed.err
        assert "Traceback" not in printed.err
        summary = json.loads(printed.out)
        assert summary["committed"] and summary["outcome"]["status"] == "completed"
        assert summary["incremental"]["index_articles_added"] is None
        assert summary["report"] and Path(summary["report"]).is_file()
        assert (out / "runs" / f"{summary['run_id']}.json").is_file()
        from cleaners.io.dataset import current_state

        assert current_state(out).name == summary["run_id"]
        [warning] = [r.getMessage() for r in warnings if "to the Redis index failed" in r.getMessage()]
        assert f"run {summary['run_id']} is committed" in warning
        assert "Connection refused" in warning and warning.endswith("the next run adds it")
        committed = {r["article_id"] for r in rows(out, "articles")}
        assert len(committed) == 3  # harbour, orchard, bridge (the orchard copy is a duplicate)

    # Redis back on the same port with what it had written to disk (the killed run half-added, or not at all)
    port = parse_redis_url(url)[1]
    with redis_server(tmp_path, port=port, persist=True) as (url, _):
        again = run([inbox], out, index=url)  # nothing new: but before its work the index follows the dataset
        assert again.outcome.status == "nothing_new" and not again.committed
        assert index_of(out, url).size() == 3
        (inbox / "bridge-copy.txt").write_text(edited(STORIES["bridge"]), encoding="utf-8")
        later = run([inbox], out, index=url)  # the killed run's article is found in Redis
        assert later.dedup["duplicates_of_earlier_runs"] == 1
        [dup] = [r for r in rows(out, "duplicates") if r["source"] == "bridge-copy.txt"]
        bridge = next(r["article_id"] for r in rows(out, "articles") if r["source"] == "bridge.txt")
        assert dup["duplicate_of"] == bridge


def test_a_teaser_in_a_later_run_is_found_through_the_lead_index_embedded_and_redis(
        tmp_path: Path, redis_url: str) -> None:
    """The lead banding works across runs: the story is in the index, its teaser comes a run later."""
    from tests.dedup.test_minhash_lsh import news

    story = "\n".join(news(7, paragraphs=10))
    teaser = "\n".join(story.split("\n")[:2])
    for mode, index in (("embedded", None), ("redis", redis_url)):
        inbox, out = tmp_path / mode / "inbox", tmp_path / mode / "out"
        inbox.mkdir(parents=True)
        (inbox / "story.txt").write_text(story, encoding="utf-8")
        run([inbox], out, index=index)
        (inbox / "teaser.txt").write_text(teaser, encoding="utf-8")
        summary = run([inbox], out, index=index)
        assert summary.dedup["duplicates_of_earlier_runs"] == 1, mode
        [dup] = rows(out, "duplicates")
        assert dup["source"] == "teaser.txt" and dup["containment"] >= 0.8

