"""Inputs at fsspec URLs: named as files on disk are, read by every reader, in this process and in others.

The S3 tests run a real S3-compatible server on loopback (moto in server
mode, as the s3fs project tests itself), reached through s3fs with the
endpoint and credentials in the environment, as a user's run would be.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleaners.config import CleanConfig
from cleaners.io import remote
from cleaners.io.readers import discover, find_input_file, read_file
from cleaners.model import Page
from cleaners.outcome import NothingCommitted
from cleaners.pipeline import run
from tests.s3server import s3_server
from tests.test_incremental import STORIES, edited, state
from tests.test_pipeline import comparable

ROOT = Path(__file__).resolve().parents[2]


def inbox(root: Path, seeds_dir: Path) -> Path:
    """Every reader's format, a nested folder, gzip, a hidden file and folder, a format no reader takes."""
    (root / "day1" / "wire").mkdir(parents=True)
    (root / ".cache").mkdir()
    for seed in sorted(seeds_dir.glob("*.txt"))[:3]:
        shutil.copy(seed, root / "day1" / seed.name)
    (root / "day1" / "wire" / "feed.jsonl.gz").write_bytes(gzip.compress(
        "\n".join(json.dumps({"id": k, "text": t}) for k, t in STORIES.items()).encode() + b"\n"))
    (root / "day1" / "wire" / "plain.jsonl").write_text(json.dumps({"id": "p", "text": STORIES["bridge"]}) + "\n")
    pq.write_table(pa.table({"id": ["copy"], "text": [edited(STORIES["orchard"])]}), root / "day1" / "copies.parquet")
    (root / "page.html").write_text("<html><head><title>Ferry</title></head><body><article><h1>Ferry returns</h1>"
                                    + "<p>The island ferry returned to service on Monday after repairs to its "
                                    "engines, the harbour office said in a statement to residents.</p>" * 3
                                    + "</article></body></html>", encoding="utf-8")
    (root / ".cache" / "x.txt").write_text("cached")
    (root / ".partial.txt").write_text("half")
    (root / "notes.docx").write_bytes(b"PK\x03\x04")
    return root


NEW_STORY = ("Library extends its opening hours\n"
             + "The town library will open until nine in the evening from next month, after a survey found that "
             "most readers could only visit after work, the council's culture committee said on Tuesday.\n" * 2
             + "Staff numbers stay the same; volunteers from the reading club will help at the loan desk.\n")


def listing(files: list, rejected: list) -> tuple[list, list]:
    return [(f.source, f.size) for f in files], sorted((r.source, r.reason) for r in rejected)


@pytest.fixture
def memory_fs() -> Iterator[fsspec.AbstractFileSystem]:
    fs = fsspec.filesystem("memory")
    yield fs
    for bucket in fs.ls("/", detail=False):  # memory:// lives as long as the process: the next test starts empty
        fs.rm(bucket, recursive=True)


def test_objects_are_named_and_rejected_as_files_on_disk_are(tmp_path: Path, seeds_dir: Path,
                                                             memory_fs: fsspec.AbstractFileSystem) -> None:
    local = inbox(tmp_path / "in", seeds_dir)
    memory_fs.put(str(local), "/bkt/in", recursive=True)
    # one folder; one file; several INPUTs (named below their deepest common folder)
    cases = [(["in"], ["memory://bkt/in"]), (["in/page.html"], ["memory://bkt/in/page.html"]),
             (["in/day1", "in/page.html"], ["memory://bkt/in/day1", "memory://bkt/in/page.html/"])]
    for paths, urls in cases:
        on_disk = listing(*discover([tmp_path / p for p in paths]))
        in_store = listing(*discover(urls))
        assert in_store == on_disk, paths
        assert on_disk[0]  # something was found
    files, rejected = discover(["memory://bkt/in"])
    assert {r.reason for r in rejected} == {"hidden_file", "hidden_directory", "unsupported_format"}
    assert all(f.url and f.url.startswith("memory://bkt/in/") for f in files)


@pytest.mark.parametrize("store", ["memory", "s3"])
def test_every_reader_reads_an_object_as_it_reads_the_file(tmp_path: Path, seeds_dir: Path, store: str,
                                                          request: pytest.FixtureRequest) -> None:
    """memory:// files are BytesIO; s3fs's are fsspec's buffered files, which lack parts of the file API."""
    local = inbox(tmp_path / "in", seeds_dir)
    if store == "s3":
        request.getfixturevalue("s3_env")
        url = bucket("readers", local)
    else:
        request.getfixturevalue("memory_fs").put(str(local), "/bkt/in", recursive=True)
        url = "memory://bkt/in"

    def pages(files: list) -> list:
        return [(i.source, i.record, i.content_sha) if isinstance(i, Page) else (i.source, i.reason)
                for f in files for i in read_file(f, CleanConfig().max_page_bytes)]  # with a limit, as a run

    on_disk, in_store = pages(discover([local])[0]), pages(discover([url])[0])
    assert in_store == on_disk
    assert {s.rsplit(".", 1)[-1] for s, *_ in on_disk} == {"txt", "gz", "jsonl", "parquet", "html"}
    assert len(on_disk) == 3 + len(STORIES) + 1 + 1 + 1


def test_urls_beside_paths_and_in_other_buckets_never_share_a_name(tmp_path: Path,
                                                                   memory_fs: fsspec.AbstractFileSystem) -> None:
    memory_fs.pipe("/bkt/in/page.txt", STORIES["harbour"].encode())
    memory_fs.pipe("/other/in/page.txt", STORIES["bridge"].encode())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(NEW_STORY, encoding="utf-8")
    files, rejected = discover(["memory://bkt/in", tmp_path / "in"])
    assert sorted(f.source for f in files) == ["memory/bkt/in/page.txt", "page.txt"] and rejected == []
    files, _ = discover(["memory://bkt/in", "memory://other/in"])
    assert sorted(f.source for f in files) == ["memory/bkt/in/page.txt", "memory/other/in/page.txt"]
    summary = run(["memory://bkt/in", "memory://other/in", tmp_path / "in"], tmp_path / "out")
    assert summary.outcome.ok and summary.counts.articles_kept == 3
    for source in ("memory/bkt/in/page.txt", "page.txt"):  # the report's page view finds both again
        found = find_input_file(summary.input_paths, source)
        assert found is not None and found.source == source


def test_keys_with_url_characters_are_read_by_their_format(memory_fs: fsspec.AbstractFileSystem) -> None:
    for name in ("a#b.txt", "q?x.txt", "with space.txt"):
        memory_fs.pipe(f"/bkt/odd/{name}", STORIES["harbour"].encode())
    files, rejected = discover(["memory://bkt/odd"])
    assert sorted(f.source for f in files) == ["a#b.txt", "q?x.txt", "with space.txt"] and rejected == []
    assert all(isinstance(i, Page) for f in files for i in read_file(f))


def test_one_name_with_other_bytes_is_read_once_and_the_other_gets_a_row(tmp_path: Path) -> None:
    from cleaners.io.readers import InputFile, _one_per_name
    rejected: list = []
    files = [InputFile(tmp_path / "a" / "x.txt", "x.txt", 1), InputFile(tmp_path / "b" / "x.txt", "x.txt", 2)]
    assert _one_per_name(files, rejected) == files[:1]
    assert [(r.source, r.reason) for r in rejected] == [("x.txt", "duplicate_input")]
    assert "other bytes" in rejected[0].detail


def test_a_missing_url_is_a_not_found_row_and_a_url_with_a_password_is_refused(
        memory_fs: fsspec.AbstractFileSystem) -> None:
    files, rejected = discover(["memory://bkt/nothing-here"])
    assert files == [] and [(r.source, r.reason) for r in rejected] == [("memory://bkt/nothing-here", "not_found")]
    for secret, url in (("hunter2", "s3://user:hunter2@bkt/in"), ("TOKENUSER", "https://TOKENUSER@host/a.txt"),
                        ("SECRETSIG", "https://host/a.txt?X-Amz-Signature=SECRETSIG")):
        with pytest.raises(NothingCommitted, match="environment") as caught:
            discover([url])
        assert secret not in str(caught.value)
    with pytest.raises(NothingCommitted, match="not memory://"):  # Delta tables live where delta-rs writes
        run(["memory://bkt/nothing-here"], "memory://bkt/clean")
    assert not os.path.exists("s3:") and not os.path.exists("memory:")  # never a folder named after the scheme


def test_urls_and_paths_are_told_apart() -> None:
    assert remote.is_url("s3://bkt/x") and remote.is_url("gs://b") and remote.is_url("memory://x")
    assert not remote.is_url("/data/in") and not remote.is_url("file:///data/in")
    assert not remote.is_url("C://Users/in") and not remote.is_url("in/s3://odd")
    assert remote.local_path("file:///data/in") == "/data/in" and remote.local_path("in") == "in"
    assert remote.local_path("file://localhost/data/my%20in") == "/data/my in"
    assert remote.redact("https://u:p@host:8080/x") == "https://host:8080/x"
    assert remote.redact("https://u:p@[::1]:8080/x?sig=1") == "https://[::1]:8080/x"
    assert remote.remote_base(["s3://b/x/day1", "s3://b/x/day2/f.txt"], with_paths=False) == "s3://b/x"
    assert remote.remote_base(["s3://b/x", "s3://c/x"], with_paths=False) == ""  # named by protocol, bucket, key
    assert remote.remote_base(["s3://b/x"], with_paths=True) == ""
    assert remote.remote_base(["s3://b/x"], with_paths=False) is None


def test_a_file_url_is_its_local_path(tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "my in").mkdir()
    shutil.copy(next(seeds_dir.glob("*.txt")), tmp_path / "my in" / "page.txt")
    summary = run([f"file://localhost{tmp_path}/my%20in"], f"file://{tmp_path}/out")
    assert summary.outcome.ok and summary.counts.articles_kept >= 1 and (tmp_path / "out" / "articles").is_dir()
    assert summary.input_paths == [str(tmp_path / "my in")]
    found = find_input_file(summary.input_paths, "page.txt")
    assert found is not None and found.url is None


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    """A real S3 server (moto) on loopback; the environment a run needs to reach it, set in this process too."""
    with s3_server() as env, pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


def bucket(name: str, local: Path) -> str:
    fs = fsspec.filesystem("s3")
    fs.mkdir(name)
    fs.put(str(local), f"{name}/crawl", recursive=True)
    return f"s3://{name}/crawl"


def test_a_run_over_s3_gives_the_rows_of_a_local_run_and_the_next_run_adds_only_what_is_new(
        tmp_path: Path, seeds_dir: Path, s3_env: dict[str, str]) -> None:
    local = inbox(tmp_path / "in", seeds_dir)
    url = bucket("run-rows", local)
    fsspec.filesystem("s3").pipe(f"{url[5:]}/day1/empty-folder/", b"")  # a console's "Create folder": no object to read
    summary = run([url], tmp_path / "s3out")
    run([local], tmp_path / "localout")
    assert summary.outcome.ok and summary.counts.input_files == 7
    assert state(tmp_path / "s3out") == state(tmp_path / "localout")
    assert summary.input_paths == [url]

    # the crawler (another client: this process's listing cache knows nothing of it) adds one object;
    # the next run reads only that one
    fsspec.filesystem("s3", skip_instance_cache=True).pipe(f"{url[5:]}/day2.txt", NEW_STORY.encode())
    again = run([url], tmp_path / "s3out")
    assert again.outcome.ok and again.counts.pages == 1
    assert again.incremental.files_already_processed == 7
    assert any(r["source"] == "day2.txt" for r in comparable(tmp_path / "s3out", "articles"))
    # a tool goes back from an output row to its input object (the report's page view does)
    found = find_input_file(again.input_paths, "day2.txt")
    assert found is not None and found.url == f"{url}/day2.txt"


def test_the_command_reads_s3_in_worker_processes(tmp_path: Path, seeds_dir: Path, s3_env: dict[str, str]) -> None:
    """Shards in other processes open the objects themselves, with the credentials of the environment only."""
    local = inbox(tmp_path / "in", seeds_dir)
    url = bucket("command", local)
    env = {**os.environ, **s3_env}
    # both runs by the command: this process may hold readers a test registered (their suffixes are in details)
    for source, out in ((url, "out"), (str(local), "localout")):
        done = subprocess.run([sys.executable, "-m", "flows.clean", source, "-o", str(tmp_path / out), "--no-prefect",
                               "--workers", "2", "--shard-bytes", "2000"],
                              check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert state(tmp_path / "out") == state(tmp_path / "localout")
    summary = json.loads(next((tmp_path / "out" / "runs").glob("*.json")).read_text())
    assert len(set(summary["orchestration"]["shard_workers"].values())) == 2  # two processes read objects
    assert "testing" not in json.dumps(summary)  # the credentials are nowhere in the summary
