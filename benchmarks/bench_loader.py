"""Reading and validating scenarios (sim/loader.py).

The baseline (18 actors), a scenario at the size limit's edge (306 actors and 2 issues: 2 x 306^3
is just under the issues x actors^3 limit), and a file of
100,000 actors, which is refused at its 391st actor while it is read (issue 7: it took 255 s to
validate before the limit; the YAML parser reads about 50-150 KB a second, so reading all of it
would still take minutes).

Every benchmark here reads the YAML text (the parse cache of sim/loader.py is made unwritable),
except ``test_validate_baseline_from_the_parse_cache``, which reads the baseline's cached data.

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


@pytest.fixture(autouse=True)
def no_parse_cache(request, tmp_path, monkeypatch):
    """The parse cache's folder lies under a file, so nothing is cached (except where asked)."""
    if "parse_cache" in request.node.name:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        return
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("loader")
    (d / "at_limit.yaml").write_text(_with_actors(303))  # 3 + 303 = 306 actors, 2 issues
    (d / "huge.yaml").write_text(_with_actors(100_000))
    return d


def test_validate_baseline(benchmark):
    sc = benchmark(load_scenario, BASELINE)
    assert len(sc.actors) == 18


def test_validate_baseline_from_the_parse_cache(benchmark):
    load_scenario(BASELINE)  # parsed and cached
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
