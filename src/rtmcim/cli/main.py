"""Entry point of the ``rtmcim`` command.

Each verb lives in its own module ``rtmcim.cli.<verb>`` exposing
``add_parser(subparsers)`` and ``run(args) -> int``. Errors raised by the
library (:class:`~rtmcim.errors.RtmcimError`) become one line on stderr and
exit code 2; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
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
        epilog="Run 'rtmcim VERB --help' for the options of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"rtmcim {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True
    for name in VERBS if verb is None else (verb,):
        module = importlib.import_module(f"rtmcim.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # the verb is the first argument that is not an option (the top level has only --help
    # and --version); anything else gets the whole parser, which lists the verbs
    verb = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(verb if verb in VERBS else None)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except RtmcimError as exc:
        print(f"rtmcim {args.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"rtmcim {args.verb}: interrupted", file=sys.stderr)
        return 130
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
