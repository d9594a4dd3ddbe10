"""Entry point of the ``rtmcim`` command.

Each verb lives in its own module ``rtmcim.cli.<verb>`` exposing
``add_parser(subparsers)`` and ``run(args) -> int``. Every failure is one line on
stderr: an error raised by the library on purpose (:class:`~rtmcim.errors.RtmcimError`:
bad input, naming the key or file, the value and what is allowed) exits 2; anything
else (a bug, a full disk) exits 1 with a hint to rerun with ``--debug``, which shows the
traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from rtmcim import __version__
from rtmcim.errors import RtmcimError

# Order here is the order in --help.
# Verb modules must import heavy libraries (torch, optuna, dask) inside run(), so --help stays fast.
VERBS: tuple[str, ...] = (
    "tech",
    "memory",
    "circuits",
    "train",
    "evaluate",
    "simulate",
    "faults",
    "explore",
    "report",
    "dashboard",
)

DEBUG_ENV = "RTMCIM_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse that says what was wrong in one line and exits 2 (as argparse does)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser of every verb, or of ``verb`` alone (its module is the only one imported)."""
    parser = _Parser(
        prog="rtmcim",
        description=(
            "Racetrack-memory (RTM) in-memory computing for CNN inference: model the memory and "
            "its in-memory arithmetic cells, train quantized CNNs, map and simulate them bit-exactly, "
            "and co-explore hardware and model."
        ),
        epilog=(
            "Run 'rtmcim VERB --help' for the options of each verb. Bad input is one line on "
            "stderr and exit code 2; an unexpected failure is one line and exit code 1 "
            "(--debug, anywhere on the line, or RTMCIM_DEBUG=1 shows its traceback)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"rtmcim {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected failure"
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True
    for name in VERBS if verb is None else (verb,):
        module = importlib.import_module(f"rtmcim.cli.{name}")
        module.add_parser(sub)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_in or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    args_in = [a for a in args_in if a != "--debug"]
    # the verb is the first argument that is not an option (the top level has only --help
    # and --version); anything else gets the whole parser, which lists the verbs
    first = next((a for a in args_in if not a.startswith("-")), None)
    parser = build_parser(first if first in VERBS else None)
    try:
        args = parser.parse_args(args_in)
    except SystemExit as exc:  # --help, --version, or argparse's one-line error (exit 2)
        return exc.code if isinstance(exc.code, int) else 2
    verb = f"rtmcim {args.verb}"
    try:
        code: int = args.run(args)
    except RtmcimError as exc:
        print(f"{verb}: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{verb}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        if debug:
            traceback.print_exc()
        print(f"{verb}: out of memory (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
            return 1
        what = _one_line(f"{type(exc).__name__}: {exc}")[:300]
        print(
            f"{verb}: unexpected error: {what} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    return code


def cli() -> int:
    """The ``rtmcim`` command: :func:`main`, then a quick exit.

    Everything the process made is about to be freed at once: freezing the garbage
    collector spares the interpreter's last full collection over it (30-40 ms after a
    trace replay). Only here, never in :func:`main`, which tests call many times in one
    process.
    """
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
