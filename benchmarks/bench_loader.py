"""Reading and validating scenarios (sim/loader.py).

The baseline (18 actors), a scenario at the size limit's edge (306 actors and 2 issues: 2 x 306^3
is just under the issues x actors^3 limit), and a file of
100,000 actors, which is refused at its 391st actor while it is read (issue 7: it took 255 s to
validate before the limit; the YAML parser reads about 50-150 KB a second, so reading all of it
would still take minutes).

Run from the project root::

    python -m pytest benchmarks/bench_loader.py --benchmark-only
"""

from pathlib import Path

import pytest

from sim.loader import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline_2021.yaml"
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"


def _with_actors(n: int) -> str:
    lines = MINIMAL.read_text(encoding="utf-8").splitlines()
    at = lines.index("blocs:")
    extra = [f"  X{k:06d}:\n    name: extra {k}\n    capability: 1\n    threat: {{USA: 0.1}}" for k in range(n)]
    return "\n".join(lines[:at] + extra + lines[at:]) + "\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("loader")
    (d / "at_limit.yaml").write_text(_with_actors(303))  # 3 + 303 = 306 actors, 2 issues
    (d / "huge.yaml").write_text(_with_actors(100_000))
    return d


def test_validate_baseline(benchmark):
    sc = benchmark(load_scenario, BASELINE)
    assert len(sc.actors) == 18


def test_validate_306_actors(benchmark, files):
    sc = benchmark.pedantic(load_scenario, args=(files / "at_limit.yaml",), rounds=3, iterations=1)
    assert len(sc.actors) == 306


def test_refuse_100000_actors(benchmark, files):
    def refuse():
        with pytest.raises(ScenarioError) as info:
            load_scenario(files / "huge.yaml")
        return info.value.problems

    problems = benchmark.pedantic(refuse, rounds=3, iterations=1)
    assert "more than 390 actors" in problems[0].message
