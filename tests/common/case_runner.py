"""What the Python test scripts share: failures, skips and running one case.

A script names its cases in a dict and ends with run_case(CASES, prefix): the
case named by the first argument runs in a fresh temporary directory, and the
exit status is what meson reads (0 pass, 1 fail, 77 skipped).
"""

import sys
import tempfile


class Failure(Exception):
    pass


class Skip(Exception):
    """The case cannot run here (meson's exit status 77)."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def run_case(cases, prefix):
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        try:
            cases[sys.argv[1]](tmp)
        except Failure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            sys.exit(1)
        except Skip as e:
            print(f"SKIP: {e}", file=sys.stderr)
            sys.exit(77)
