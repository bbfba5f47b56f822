"""Coverage-guided fuzzing of the Zengin reader and importers (ZEN-1, OPS-1) with atheris.

Two parts:

* every input in ``tests/fuzz/corpus/<target>/`` (crashes the fuzzer once found, kept as
  regression cases) and every golden file goes through its target on each test run;
* each target is fuzzed for ``KINKO_FUZZ_SECONDS`` seconds (default 20; 0 skips) in a
  subprocess running libFuzzer (``python -m tests.fuzz.fuzz``), starting from the golden files.
  A crash fails the test and names the input libFuzzer wrote: copy it into the corpus and fix
  the code. See docs/security-inputs.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.targets import OPTIONS, TARGETS, _dump

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
GOLDEN = HERE.parent / "zengin" / "golden"
ROOT = HERE.parent.parent
SECONDS = int(os.environ.get("KINKO_FUZZ_SECONDS", "20"))
# A fixed seed by default, so that the suite explores the same way each run (a red run is a
# finding, not luck); KINKO_FUZZ_SEED=0 lets libFuzzer pick one for exploratory runs.
SEED = int(os.environ.get("KINKO_FUZZ_SEED", "1"))


def _seeds(target: str) -> dict[str, bytes]:
    """The golden files, in the form ``target`` reads."""
    from kinko.zengin import reader

    if target == "zengin_xml":
        return {p.name: p.read_bytes() for p in sorted(GOLDEN.glob("*.xml"))}
    texts = {p.name: p.read_bytes() for p in sorted(GOLDEN.glob("*.txt"))}
    if target == "zengin_reader":
        return texts
    seeds = {}
    for name, data in texts.items():
        file = reader.read(data, OPTIONS)
        seeds[f"{name}.json"] = _dump(file).encode()
    return seeds


def _regressions() -> list[tuple[str, Path]]:
    return [(target, path) for target in TARGETS
            for path in sorted((CORPUS / target).glob("*")) if path.is_file()]


@pytest.mark.req("ZEN-1")
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_golden_files_hold_the_property(target: str) -> None:
    seeds = _seeds(target)
    assert seeds
    for data in seeds.values():
        TARGETS[target](data)


@pytest.mark.req("ZEN-1")
@pytest.mark.parametrize(("target", "path"), _regressions(),
                         ids=[f"{t}/{p.name}" for t, p in _regressions()])
def test_inputs_the_fuzzer_found_hold_the_property(target: str, path: Path) -> None:
    TARGETS[target](path.read_bytes())


@pytest.mark.req("ZEN-1")
@pytest.mark.slow
@pytest.mark.skipif(SECONDS <= 0, reason="KINKO_FUZZ_SECONDS=0")
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in _seeds(target).items():
        (corpus / name).write_bytes(data)
    for _, path in _regressions():
        if path.parent.name == target:
            (corpus / path.name).write_bytes(path.read_bytes())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.fuzz", target, f"-max_total_time={SECONDS}",
         f"-seed={SEED}", "-max_len=8192", "-timeout=20", "-rss_limit_mb=2048",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS + 120,
        check=False)
    log = run.stderr + run.stdout
    runs = [line for line in log.splitlines() if line.startswith("Done ")]
    crashes = sorted(tmp_path.glob("crash-*")) + sorted(tmp_path.glob("timeout-*"))
    assert run.returncode == 0 and not crashes, (
        f"{target}: libFuzzer exited {run.returncode}; inputs: {[str(c) for c in crashes]}\n"
        + log[-4000:])
    print(f"\n{target}: {runs[-1] if runs else log[-500:]}")
