"""The atheris driver: ``python -m tests.fuzz.fuzz TARGET [libFuzzer options] [CORPUS …]``.

Coverage-guided fuzzing of one target of :mod:`tests.fuzz.targets` (the Kinko Zengin modules
are instrumented). Any exception other than the module's own domain errors is a crash:
libFuzzer writes the input to ``crash-…`` (see ``-artifact_prefix``) and exits non-zero.
Example: ``python -m tests.fuzz.fuzz zengin_reader -max_total_time=60 /tmp/corpus``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kinko.zengin"]):
    from tests.fuzz.targets import TARGETS


def main() -> None:
    name, args = sys.argv[1], [sys.argv[0], *sys.argv[2:]]
    target = TARGETS[name]
    atheris.Setup(args, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
