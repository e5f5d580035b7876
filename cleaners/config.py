"""Run options, validated once, carried into every stage and the run summary.

A frozen pydantic model so that a wrong value fails at the CLI or the Prefect
parameter form with a message that says what range is allowed, and so that
the exact options of a run can be written into its summary as JSON.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CleanConfig(BaseModel):
    """Knobs of the cleaning run; defaults are the ones measured on the seeds and benches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- near-duplicate detection (datasketch MinHash + MinHashLSH)
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations (datasketch default 128)")
    shingle_words: int = Field(3, ge=1, le=10, description="words per shingle for MinHash")
    lsh_threshold: float = Field(
        0.25, gt=0.0, lt=1.0,
        description="Jaccard level the banding of whole-text signatures is tuned for (datasketch's optimiser: "
        "42 bands of 3 rows at 128 permutations): an edited copy at the verification level 0.5 is a "
        "candidate with probability 0.996, two stories sharing one paragraph (Jaccard ~0.05) with 0.005; "
        "teasers are found by the lead signature instead",
    )
    lead_words: int = Field(
        40, ge=0, le=2000,
        description="words of an article's lead (its first prose lines: 8 words or more) signed apart, so "
        "that a teaser, which is a story's lead, is a candidate without a low Jaccard level for every pair; "
        "as many as min_containment_words, so that every teaser long enough to be verified has its whole "
        "lead in common with its story; 0 turns the lead signature off",
    )
    lead_bands: int = Field(
        0, ge=0, le=1024,
        description="LSH bands of the lead signatures; 0: as many bands of lead_rows as num_perm holds, at most 16",
    )
    lead_rows: int = Field(
        8, ge=1, le=1024,
        description="rows per lead band: 16 x 8 makes leads of Jaccard 0.8 candidates with probability 0.95, "
        "0.5 with 0.06",
    )
    jaccard_threshold: float = Field(
        0.5, gt=0.0, le=1.0, description="verified estimated Jaccard that makes two articles duplicates"
    )
    containment_threshold: float = Field(
        0.8, gt=0.0, le=1.0,
        description="share of the shorter article's shingles found in the longer one that makes it a "
        "teaser/excerpt duplicate",
    )
    min_containment_words: int = Field(
        40, ge=1, description="a shorter article needs this many words before containment alone merges it"
    )
    kept_jaccard_floor: float = Field(
        0.3, gt=0.0, le=1.0,
        description="in a group of verified copies, a member stays the kept copy's duplicate when its estimated "
        "Jaccard to the kept copy reaches this (or its containment the containment floor); else it starts "
        "its own cluster",
    )
    kept_containment_floor: float = Field(
        0.6, gt=0.0, le=1.0, description="containment counterpart of kept_jaccard_floor",
    )
    shingle_hash: Literal["xxh32", "sha1"] = Field(
        "xxh32", description="shingle hash of the MinHash signatures (datasketch hashfunc): xxh32 is fast; sha1 "
        "is datasketch's default, for signatures shared with tools built without a hashfunc",
    )

    # -- text stage
    body_center: float = Field(
        0.5, gt=0.0, lt=1.0,
        description="line-model score above which a line pulls the body region towards it (the region is "
        "the run of lines whose length-weighted scores sum highest above this)",
    )
    body_related_penalty: float = Field(
        0.2, ge=0.0, le=1.0,
        description="taken off the line-model score of lines in a related or listing block (below its header, "
        "outside the section with the most prose): their summaries are prose, and four of them outweighed a "
        "body flattened into two long lines",
    )
    body_prose_floor: float = Field(
        0.6, ge=0.0, le=1.0,
        description="score given at least to unmistakable prose (12+ words, a full sentence, 15 percent function "
        "words), so a short clean page is never judged chrome; 0 turns it off",
    )
    body_min_score: float = Field(
        0.3, ge=0.0, le=1.0, description="line-model score a line inside the body region needs to stay"
    )
    site_repeat_share: float = Field(
        0.5, gt=0.0, le=1.0,
        description="a short line on at least this share of one site's pages (in a shard) is site chrome",
    )
    site_repeat_min_pages: int = Field(5, ge=2, description="a site needs this many pages before its "
                                       "repeated lines count as chrome")
    site_repeat_max_words: int = Field(15, ge=1, description="longer lines are never site chrome "
                                       "(syndicated paragraphs repeat too)")
    repeat_similarity: float = Field(
        0.6, gt=0.0, le=1.0,
        description="word-bigram Jaccard above which a paragraph repeats an earlier one of the same article",
    )
    repeat_min_words: int = Field(6, ge=1, description="shorter lines only collapse when exactly repeated")
    min_article_words: int = Field(
        8, ge=1, description="an article with fewer words after cleaning is not kept"
    )
    related_min_words: int = Field(
        40, ge=1, description="a related/listing entry needs this many body words to become an article "
        "(shorter ones are teasers and are dropped as chrome)",
    )
    date_order: Literal["dmy", "mdy"] = Field(
        "dmy", description="how to read ambiguous numeric dates such as 05-07-2025"
    )

    # -- reading
    max_page_bytes: int = Field(
        5_000_000, ge=1_000,
        description="pages larger than this (UTF-8 bytes of the record) are rejected as too_large before parsing",
    )
    max_page_lines: int = Field(
        250_000, ge=1_000,
        description="flattened pages with more lines are rejected as too_many_lines before cleaning: the text "
        "stage holds about 1.5 KB per line, and real pages, even 5 MB ones, have tens of thousands",
    )
    follow_links: Literal["inside", "all"] = Field(
        "inside",
        description="symlinks found in an INPUT folder are read when they lead inside an INPUT; 'all' follows "
        "them anywhere (else a link out of every INPUT is an outside_input row). FIFOs and devices are never "
        "read (not_regular_file)",
    )

    # -- HTML stage
    html_timeout: float = Field(
        30.0, ge=0.0,
        description="seconds one HTML page may take to extract (parse, chrome removal, trafilatura); "
        "a slower page is rejected as timeout. Pages run in a worker process that is killed past the "
        "limit; 0 runs them in-process without a limit",
    )
    max_html_depth: int = Field(
        200, ge=10, le=255,
        description="deepest element nesting an HTML page may have; a deeper page is rejected as too_deep "
        "(real pages nest 20-80 deep; lxml's parser stops at 255 levels and drops the rest). Elements the page "
        "never closes do not count: the parse closes them where they open (cleaners/html/parse.py)",
    )
    html_fallback_ratio: float = Field(
        1.5, ge=1.0,
        description="unused since the HTML stage's learned combiner (cleaners/html/combine.py) replaced the "
        "fixed second-opinion rule it tuned; still accepted so that existing configs and commands keep working",
    )

    # -- orchestration
    shard_bytes: int = Field(
        8_000_000, ge=1_000, description="input bytes per cleaning task (coarse tasks keep Prefect overhead low)"
    )
    chunk_pages: int = Field(
        5_000, ge=1, description="pages cleaned and written together inside a task: memory stays flat in the "
        "input's size; site boilerplate is counted per chunk",
    )
    chunk_chars: int = Field(
        64_000_000, ge=1_000, description="a chunk also ends once its pages hold this many characters of text "
        "and HTML, so a chunk of large pages stays bounded in memory (a chunk of 5,000 pages reaches it only "
        "when they average 12,800 characters)",
    )
    keep_snapshots: int = Field(
        2, ge=2, le=100,
        description="output snapshots kept on disk: the current one, the one it replaced (still open for "
        "readers that started before the swap), and older ones up to this number",
    )
    keep_removed_hours: int = Field(
        0, ge=0, le=87_600,
        description="for an output of Delta tables (a URL, --layout delta): hours that files a commit removed "
        "(runs a rebuild replaced, superseded rejected rows) stay for readers of older versions; 0: plain "
        "Parquet readers of the folder see exactly the current rows after every commit",
    )

    @property
    def lead_banding(self) -> tuple[int, int]:
        """(bands, rows) of the lead signatures."""
        return (self.lead_bands or min(16, self.num_perm // self.lead_rows)), self.lead_rows

    @model_validator(mode="after")
    def _thresholds_consistent(self) -> CleanConfig:
        if self.kept_jaccard_floor > self.jaccard_threshold or self.kept_containment_floor > self.containment_threshold:
            raise ValueError("the kept_*_floor levels must not be above jaccard_threshold/containment_threshold: "
                             "a verified pair would then not stay together")
        if self.lsh_threshold > self.jaccard_threshold:
            raise ValueError(
                f"lsh_threshold ({self.lsh_threshold}) is above jaccard_threshold "
                f"({self.jaccard_threshold}): LSH would never propose pairs that verification accepts; "
                "set lsh_threshold <= jaccard_threshold"
            )
        bands, rows = self.lead_banding
        if self.lead_words and (bands * rows > self.num_perm or bands < 1):
            raise ValueError(f"lead_bands x lead_rows ({bands} x {rows}) does not fit in num_perm "
                             f"({self.num_perm}): the lead signature has num_perm values")
        return self
