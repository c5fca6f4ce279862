"""What a one-turn run loads, and the two things that keep it short (issue 11, start-up).

``run.py run --turns 1`` loads neither pandas, pyarrow, matplotlib, pygame, Dask nor SALib, and
Mesa only as far as its model, agent and data collector (sim/deferred.py), while Mesa as a whole
still works when asked for. A scenario's data comes from the parse cache (sim/loader.py) equal,
value for value and type for type, to what the YAML reader builds; a damaged or unwritable cache
only means the file is parsed again, and a problem in a cached file is located as before.
The time itself is measured in ``benchmarks/bench_startup.py``, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim import loader
from sim.loader import ScenarioError, load_scenario, read_file, read_source

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline_2021.yaml"
NOT_FOR_A_RUN = (
    "pandas", "pyarrow", "matplotlib", "pygame", "pygame_gui", "dask", "distributed", "SALib", "tqdm",
)


def _python(code: str, *args: str, timeout: float = 300, **env: str) -> str:
    """Run ``code`` (with ``args`` as ``sys.argv[1:]``) in a fresh interpreter at the repository
    root; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_one_turn_run_loads_no_data_frame_plotting_front_end_or_sweep_library():
    code = f"""
import json, sys
from click.testing import CliRunner
import sim.cli.main
imported = sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'mesa'))
result = CliRunner().invoke(sim.cli.main.main, ['run', {str(BASELINE)!r}, '--turns', '1', '--quiet'])
assert result.exit_code == 0, result.output
print(json.dumps({{'at_import': imported, 'after_run': sorted({{m.split('.')[0] for m in sys.modules}}),
                  'mesa_modules': sorted(m for m in sys.modules if m.startswith('mesa')),
                  'linalg_modules': sorted(m for m in sys.modules if m.startswith(('scipy.linalg', 'numpy.f2py')))}}))
"""
    out = json.loads(_python(code).splitlines()[-1])
    assert out["at_import"] == ["mesa", "mesa.experimental"]  # the packages, deferred: no module, no scipy
    assert [m for m in NOT_FOR_A_RUN if m in out["after_run"]] == []
    unused = ("mesa.batchrunner", "mesa.space", "mesa.discrete_space", "mesa.experimental.continuous_space")
    assert [m for m in out["mesa_modules"] if m.startswith(unused)] == []
    assert {"mesa.model", "mesa.agent", "mesa.datacollection"} <= set(out["mesa_modules"])
    # numba's BLAS check loads scipy.linalg.cython_blas alone, not scipy.linalg nor numpy.f2py
    assert set(out["linalg_modules"]) <= {"scipy.linalg", "scipy.linalg.cython_blas"}


def test_mesa_is_whole_when_anything_else_of_it_is_used():
    code = """
import sys
import sim.model
import mesa
from sim.model import GreatPowerModel
assert 'mesa.experimental.continuous_space' not in sys.modules
from sim.loader import load_scenario
assert 'mesa.batchrunner' not in sys.modules and 'pandas' not in sys.modules
assert GreatPowerModel.__mro__[1] is sys.modules['mesa.model'].Model
m = GreatPowerModel(load_scenario('scenarios/tutorial.yaml'), seed=1, turns=2)
m.step()
frame = m.datacollector.get_model_vars_dataframe()  # pandas only now, on demand
import pandas
assert isinstance(frame, pandas.DataFrame) and len(frame) == 2
assert callable(mesa.batch_run) and mesa.__version__  # Mesa's own __init__ has run
from mesa import DataCollector, Model, Agent, space
assert Model is sys.modules['mesa.model'].Model and Agent is sys.modules['mesa.agent'].Agent
assert DataCollector is sys.modules['mesa.datacollection'].DataCollector
assert sys.modules['mesa.datacollection'].pd is pandas
print('ok')
"""
    assert _python(code).split()[-1] == "ok"


def test_threads_reading_mesa_while_its_init_runs_wait_for_it():
    # a thread that read mesa.__version__ while another ran Mesa's __init__ got AttributeError
    code = """
import threading
import sim.model
import mesa
start, errors = threading.Barrier(4), []
def read(name):
    start.wait()
    try:
        assert getattr(mesa, name) is not None
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=read, args=(n,)) for n in ("batch_run", "__version__", "space", "batch_run")]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert errors == [], errors
assert '__getattr__' not in vars(mesa)
print('ok')
"""
    assert _python(code).split()[-1] == "ok"


def test_mesa_imported_before_the_model_is_left_as_it_is():
    code = """
import mesa, sys
full = mesa
import sim.model
assert sys.modules['mesa'] is full and 'mesa.batchrunner' in sys.modules
assert sim.model.GreatPowerModel.__mro__[1] is mesa.Model
print('ok')
"""
    assert _python(code).split()[-1] == "ok"


def test_scipy_linalg_is_whole_when_used_after_the_compiled_kernel_loaded():
    code = """
import sys
import numpy as np
from sim import kernel
kernel.forecast(np.array([[0.0, 0.5, 1.0]]), np.ones((1, 3)))
assert 'scipy.linalg._basic' not in sys.modules
import scipy.linalg
from scipy.linalg import solve
assert np.allclose(solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.ones(2)), [0.5, 0.25])
assert 'solve' in scipy.linalg.__all__ and scipy.linalg.cython_blas is sys.modules['scipy.linalg.cython_blas']
import scipy.stats
assert abs(scipy.stats.norm.cdf(0.0) - 0.5) < 1e-15
print('ok')
"""
    assert _python(code).split()[-1] == "ok"


def _same(a, b) -> bool:
    """Equal value for value and type for type (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return _same(list(a), list(b)) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user cache folder for the parse cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "scenarios").glob("*.yaml")))
def test_cached_scenario_data_equals_what_the_reader_builds(cache_home, name):
    path = REPO / "scenarios" / name
    text = read_file(path)
    fresh = read_source(text, str(path))  # parsed, then cached
    assert list(loader.parse_cache_dir().glob("*.marshal")), "nothing was cached"
    cached = read_source(text, str(path))
    assert all(d._root is None for d in cached.documents), "the second read did not come from the cache"
    assert _same(fresh.data, cached.data)
    assert fresh.validate() == cached.validate()


def test_a_damaged_cache_file_is_parsed_again(cache_home):
    text = read_file(BASELINE)
    fresh = read_source(text, str(BASELINE)).data
    (entry,) = loader.parse_cache_dir().glob("*.marshal")
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte: the checksum no longer matches
    entry.write_bytes(bytes(raw))
    again = read_source(text, str(BASELINE))
    assert again.documents[0]._root is not None  # read from the text, not the damaged file
    assert _same(again.data, fresh)
    entry.write_bytes(b"")  # an empty file too
    assert _same(read_source(text, str(BASELINE)).data, fresh)


def test_an_unwritable_cache_folder_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))  # under a file: never writable
    assert load_scenario(BASELINE).name == load_scenario(BASELINE).name


def test_a_problem_in_a_cached_file_is_located_as_before(cache_home, tmp_path):
    original = BASELINE.read_text(encoding="utf-8")
    text = original.replace("capability: {value: 65.9,", "capability: {value: -65.9,", 1)
    assert text != original
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    found = []
    for _ in range(2):  # the first read parses the text and caches it, the second reads the cache
        with pytest.raises(ScenarioError) as info:
            load_scenario(bad)
        found.append([str(p) for p in info.value.problems])
    assert len(list(loader.parse_cache_dir().glob("*.marshal"))) == 1
    assert found[0] == found[1]
    assert found[0][0].startswith(f"{bad}:") and "capability" in found[0][0]


def test_a_model_pickles_and_finishes_alike_in_a_fresh_process(tmp_path):
    # the data collector's reporter was a lambda: a model could not be sent to a process pool
    script = tmp_path / "pool.py"  # a file: the pool's processes import its functions by name
    script.write_text("""
import json, multiprocessing as mp, pickle
import sim.model
from sim.loader import load_scenario

def finish(blob):
    m = pickle.loads(blob)
    while m.running:
        m.step()
    return json.dumps(m.snapshot(), sort_keys=True), m.datacollector.model_vars["outcomes"]

if __name__ == "__main__":
    m = sim.model.GreatPowerModel(load_scenario("tests/data/minimal.yaml"), seed=3, turns=3)
    m.step()
    with mp.get_context("forkserver").Pool(1) as pool:
        there = pool.apply(finish, (pickle.dumps(m),))
    while m.running:
        m.step()
    assert there == (json.dumps(m.snapshot(), sort_keys=True), m.datacollector.model_vars["outcomes"])
    print("ok")
""")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.split()[-1] == "ok", done.stderr


def test_mesa_names_its_logger_and_logged_class_as_before():
    # mesa.model names its logger and the class of a logged method from the call stack at import;
    # sim/deferred.py gives it the frames without their source lines (0.05-0.1 s)
    code = """
import inspect, logging, sys
import sim.model
import mesa.mesa_logging as mesa_logging
assert mesa_logging.inspect is inspect  # the real inspect again after the import
assert 'mesa.model' in mesa_logging._module_loggers
assert sys.modules['mesa.model']._mesa_logger.name == 'MESA.mesa.model'
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logger = logging.getLogger('MESA.mesa.model')
logger.addHandler(Keep()); logger.setLevel(logging.DEBUG)
from sim.loader import load_scenario
sim.model.GreatPowerModel(load_scenario('tests/data/minimal.yaml'), seed=1, turns=1)
print(records[0])
"""
    out = _python(code).strip().splitlines()[-1]
    if "Model.__init__" not in out:  # a Mesa that logs no method (Mesa 3.5): nothing to name
        assert "calling" not in out
    else:
        assert out.startswith("calling Model.__init__ with ")


def test_a_scenario_from_the_parse_cache_is_read_without_the_yaml_reader(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = BASELINE.read_text(encoding="utf-8").replace("capability: {value: 65.9,", "capability: {value: -65.9,", 1)
    bad.write_text(text, encoding="utf-8")
    code = f"""
import json, sys
from sim.loader import ScenarioError, load_scenario
sc = load_scenario({str(BASELINE)!r})
try:
    load_scenario({str(bad)!r})
    problems = []
except ScenarioError as exc:
    problems = [str(p) for p in exc.problems]
print(json.dumps([sc.name, 'ruamel.yaml' in sys.modules, problems]))
"""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = json.loads(_python(code, **env).splitlines()[-1])  # parses both files, caches them
    second = json.loads(_python(code, **env).splitlines()[-1])  # both from the cache
    assert first[1] is True and first[2], first
    assert second[0] == first[0]
    assert second[2] == first[2]  # the problem is located as before (the YAML is composed then)
    assert second[2][0].startswith(f"{bad}:") and "capability" in second[2][0]
    good_only = f"""
import sys
from sim.loader import load_scenario
load_scenario({str(BASELINE)!r})
print('ruamel.yaml' in sys.modules)
"""
    assert _python(good_only, **env).split()[-1] == "False"


RUN_AND_DIGEST = """
import hashlib, json, sys
from sim.loader import load_scenario
from sim.model import GreatPowerModel
if sys.argv[1] == "numba-loading":  # undo the quick loading: numba's own, with its registries
    import sim.kernel_compiled, sim.phases.policy_compiled
    for module in (sim.kernel_compiled, sim.phases.policy_compiled):
        for obj in vars(module).values():
            if hasattr(obj, "py_func") and hasattr(obj, "_cache"):
                vars(obj._cache).pop("load_overload", None)
m = GreatPowerModel(load_scenario("scenarios/baseline_2021.yaml"), seed=int(sys.argv[2]), turns=3)
while m.running:
    m.step()
registries = sorted(n for n in ("numba.typed.typeddict", "numba.np.polynomial.polynomial_functions", "numba.np.random.generator_methods") if n in sys.modules)
print(json.dumps([hashlib.sha256(json.dumps([m.snapshot(), m.log], sort_keys=True, default=str).encode()).hexdigest(), registries]))
"""


def _digest(how: str, seed: int) -> list:
    return json.loads(_python(RUN_AND_DIGEST, how, str(seed), timeout=600).splitlines()[-1])


@pytest.mark.parametrize("seed", [3, 11])
def test_compiled_code_loaded_without_numba_registries_runs_alike(tmp_path, seed):
    _digest("numba-loading", seed)  # the compiled cache warm (a cold one compiles here)
    usual = _digest("numba-loading", seed)
    quick = _digest("quick-loading", seed)
    assert quick[0] == usual[0]  # the same snapshots and turn logs
    assert usual[1] != [] and quick[1] == []  # numba's registries were loaded only the usual way


def test_a_cold_compiled_cache_still_compiles_when_registries_are_skipped(tmp_path):
    # a function missing from the cache is compiled as before (numba's compiler loads the
    # registries itself), written to the cache, and read back without them by the next process
    code = """
import json, sys
import numpy as np
from sim import kernel
assert kernel.backend() == "compiled"
kc = sys.modules["sim.kernel_compiled"]
a = np.array([0.3, -0.2, 0.05, 0.0, 1.5]); b = np.array([-0.4, 0.1, -0.01, 0.0, -2.0])
outcome, fraction = kc.respond(a, b)
oracle = kernel._np_respond(a, b)
print(json.dumps([outcome.tolist(), fraction.tolist(), sum(kc.respond.stats.cache_hits.values()),
                  'numba.typed.typeddict' in sys.modules, oracle[0].tolist(), oracle[1].tolist()]))
"""
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    cold = json.loads(_python(code, **env).splitlines()[-1])
    warm = json.loads(_python(code, **env).splitlines()[-1])
    assert cold[2] == 0 and cold[3] is True  # compiled, with the registries
    assert warm[2] == 1 and warm[3] is False  # read back, without them
    assert cold[:2] == warm[:2] == cold[4:]  # and equal to the numpy cores' answer


def test_help_and_validate_do_not_load_the_model(tmp_path):
    code = """
import sys
from click.testing import CliRunner
import sim.cli.main
result = CliRunner().invoke(sim.cli.main.main, ['--help'])
assert result.exit_code == 0 and 'run' in result.output
after_help = sorted(m for m in ('pydantic', 'ruamel.yaml', 'numpy', 'numba', 'rich.console', 'sim.loader') if m in sys.modules)
result = CliRunner().invoke(sim.cli.main.main, ['validate', 'scenarios/baseline_2021.yaml'])
assert result.exit_code == 0 and result.output.startswith('OK '), result.output
after_validate = sorted(m for m in ('numba', 'sim.model', 'mesa.model') if m in sys.modules)
print(after_help, after_validate)
"""
    assert _python(code).strip().splitlines()[-1] == "[] []"


def test_run_as_a_program_writes_everything_and_keeps_its_exit_status(tmp_path):
    # run.py ends a `run` with the objects frozen for the interpreter's teardown (sim.cli.main.entry)
    log, save = tmp_path / "turns.jsonl", tmp_path / "game.json"
    done = subprocess.run(
        [sys.executable, "run.py", "run", "--turns", "2", "--quiet", "--log", str(log), "--save", str(save)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "end state: horizon" in done.stdout and "game saved to" in done.stdout  # the last lines, whole
    assert done.stdout.rstrip().endswith("--out DIR)")
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["turn"] for r in rows] == [0, 1, 2]
    assert json.loads(save.read_text())["format"] == "greatpower-save"
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASELINE.read_text(encoding="utf-8").replace("capability: {value: 65.9,", "capability: {value: -65.9,", 1))
    done = subprocess.run(
        [sys.executable, "run.py", "run", str(bad)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"{bad}:") and "capability" in done.stderr and "Traceback" not in done.stderr


def test_a_run_invoked_in_process_leaves_the_garbage_collector_alone():
    code = """
import gc
from click.testing import CliRunner
import sim.cli.main
before = gc.get_freeze_count()  # not 0 on every build (375 on a pyenv Python 3.12.1)
result = CliRunner().invoke(sim.cli.main.main, ['run', 'tests/data/minimal.yaml', '--turns', '1', '--quiet'])
assert result.exit_code == 0, result.output
print(gc.isenabled(), gc.get_freeze_count() - before)
"""
    assert _python(code).split()[-2:] == ["True", "0"]
