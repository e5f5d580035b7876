"""Move an output of the snapshot layout into Delta tables (with its ledger and dedup index), locally or in object storage.

    python -m flows.migrate data/clean s3://lake/news      # then: python -m flows.clean crawl/ -o s3://lake/news
    python -m flows.migrate data/clean data/tables          # a local folder of Delta tables

The next run into TARGET takes only what the old output had not taken and
dedups against every article it kept. The old output is only read. Exit
status 0 when migrated, 2 when nothing was written (the message says why).
See :mod:`cleaners.store.migrate`.
"""
from __future__ import annotations

import argparse
import sys

from cleaners.outcome import NothingCommitted, one_line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.migrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="an output folder of the snapshot layout")
    parser.add_argument("target", help="where its tables go: a new local folder or a URL (s3://bucket/prefix, ...)")
    args = parser.parse_args(argv)
    from cleaners.store.migrate import migrate

    try:
        state = migrate(args.output, args.target)
    except NothingCommitted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 (delta-rs and the store raise their own kinds: one line, no traceback)
        print(f"error: migrating {args.output} to {args.target} failed: {type(exc).__name__}: {one_line(str(exc))}; "
              "delete what it wrote at the target before trying again", file=sys.stderr)
        return 2
    manifest = state.manifest()
    print(f"migrated {len(manifest['runs'])} runs (latest {state.run_id}) into {args.target}: "
          + ", ".join(f"{name} {info['rows']} rows" for name, info in manifest["datasets"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
