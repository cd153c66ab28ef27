"""The district generator on the command line: a OneRoster CSV exchange of a generated
district (:func:`rostersync_core.districts.generate_district`, written by the OneRoster
test kit's CSV writer).

::

    .venv/bin/python -m benchmarks.generate --students 10000 --seed 1 --out district-v1
    .venv/bin/python -m benchmarks.generate --students 600 --missing-email 0.05 \\
        --shared-email 0.02 --duplicates 0.01 --invalid 0.01 --version 1.2 --out district.zip
    .venv/bin/python -m benchmarks.generate --students 600 --out v2 \\
        --evolve 10 5 2          # a later snapshot: new students, withdrawals, teacher changes
    .venv/bin/python -m benchmarks.generate --students 600 --out delta \\
        --evolve 10 5 2 --delta-since 2026-08-15T00:00:00Z   # the delta files only

The same arguments always write the same files. Prints what was written (counts) as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.roster import counts
from rostersync_core.districts import Messiness, evolve_district, generate_district
from rostersync_oneroster.testing import dataset_from_district, write_csv

LATER_MODIFIED = "2026-09-01T00:00:00.000Z"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="a folder, or a .zip file")
    parser.add_argument("--version", choices=("1.1", "1.2"), default="1.1")
    parser.add_argument("--missing-email", type=float, default=0.0, metavar="RATE")
    parser.add_argument("--shared-email", type=float, default=0.0, metavar="RATE")
    parser.add_argument("--duplicates", type=float, default=0.0, metavar="RATE",
                        help="students entered twice under another id")
    parser.add_argument("--invalid", type=float, default=0.0, metavar="RATE",
                        help="students with no name (rows that fail validation)")
    parser.add_argument("--name", default="Maple Valley Unified")
    parser.add_argument("--evolve", type=int, nargs=3, metavar=("NEW", "WITHDRAWN", "TEACHERS"),
                        help="write a later snapshot instead")
    parser.add_argument("--delta-since", help="with --evolve: only the changes, as delta files")
    parser.add_argument("--passwords", action="store_true", help="include users' passwords")
    args = parser.parse_args(argv)

    messiness = Messiness(args.missing_email, args.shared_email, args.invalid,
                          duplicate_people=args.duplicates)
    district = generate_district(args.students, seed=args.seed, name=args.name,
                                 messiness=messiness)
    source = district
    if args.evolve:
        new, withdrawn, teachers = args.evolve
        later = evolve_district(district, seed=args.seed + 1, new_students=new,
                                withdrawals=withdrawn, teacher_changes=teachers)
        source = later
        if args.delta_since:
            before = dataset_from_district(district, version=args.version)
            after = dataset_from_district(later, version=args.version)
            merged = before.evolve(after, modified=LATER_MODIFIED)
            write_csv(merged, args.out, version=args.version, delta_since=args.delta_since,
                      include_passwords=args.passwords)
            json.dump({"written": str(args.out), "delta_since": args.delta_since,
                       **counts(later)}, sys.stdout)
            sys.stdout.write("\n")
            return
    elif args.delta_since:
        parser.error("--delta-since needs --evolve")
    write_csv(source, args.out, version=args.version, include_passwords=args.passwords)
    json.dump({"written": str(args.out), **counts(source)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
