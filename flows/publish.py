"""Publish a finished output as Delta Lake tables, locally or in object storage.

    python -m flows.publish data/clean s3://lake/news            # TARGET/articles, /duplicates, /rejected, /removed
    python -m flows.publish data/clean /srv/lake/news --keep-removed-hours 168

Run it after each ``python -m flows.clean`` (or from the same schedule): a
publish that finds nothing new commits nothing. Credentials come from the
environment (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``AWS_REGION``,
``AWS_ALLOW_HTTP=true`` for a plain-HTTP endpoint). Exit status 0 when every
table holds the snapshot; 2 when nothing was published, 3 when some tables
were and another failed (the message says which; publishing again finishes
the rest). See :mod:`cleaners.store.delta`.
"""
from __future__ import annotations

import argparse
import sys

from cleaners.store.delta import PublishError, publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="the output folder of python -m flows.clean")
    parser.add_argument("target", help="where the tables go: a local folder or a URL (s3://bucket/prefix, ...)")
    parser.add_argument("--replace", action="store_true",
                        help="publish over tables that mirror another output (refused otherwise)")
    parser.add_argument("--keep-removed-hours", type=int, default=0, metavar="H",
                        help="keep files a publish removed (a replaced or rebuilt run) H hours for time travel to "
                             "older versions; plain Parquet readers of the folders see them as rows until then "
                             "(default: 0, deleted at the end of the publish)")
    args = parser.parse_args(argv)
    if args.keep_removed_hours < 0:
        parser.error("--keep-removed-hours: give 0 or more hours")
    try:
        tables = publish(args.output, args.target, args.keep_removed_hours, replace=args.replace)
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if exc.committed else 2
    for t in tables:
        if not t.committed:
            what = "unchanged"
        else:
            what = (f"runs written {len(t.runs_written)}" + (f", runs removed {len(t.runs_removed)}"
                                                             if t.runs_removed else "")
                    + (f", {t.files_vacuumed} old files removed" if t.files_vacuumed else ""))
        print(f"{t.dataset:<11} version {t.version:<4} {t.rows:>9} rows  {what}  {t.uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
