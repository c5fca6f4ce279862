"""Run many ``run.py`` command lines quickly: import the command line once, fork once per line.

Used by the bad-input tests: each command line runs in its own forked process through the same
entry point as ``python run.py ARGS`` (``sim.cli.main.main`` with ``sys.argv``), with its real
exit status and its stdout and stderr at the file-descriptor level, so what a user would see is
what the test reads. Forking after the imports saves about two seconds per command line.

Usage: ``python tests/cli_batch.py CASES.json RESULTS.json``, where CASES is a list of
``{"name", "cwd", "args"}`` (and optionally ``"phase"``: the cases of phase 0 all finish before
those of phase 1 start, e.g. a sweep before its analysis; and ``"env"``: variables set for that
command line, a null value unsets one) and RESULTS receives
``{name: {"code", "stdout", "stderr"}}``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARALLEL = 2
"""Command lines running at once."""
TIMEOUT = 120.0
"""Seconds a command line may take; then it is killed (with its process group) and reported as
exit status -9 with ``TIMEOUT`` on its stderr, so that one hang fails one case, not the batch."""


def _child(args: list[str], cwd: str, out_fd: int, err_fd: int, env: dict | None = None) -> None:
    """In the forked process: run one command line and leave with its exit status."""
    code = 0
    try:
        for key, value in (env or {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.setpgid(0, 0)  # its own process group, so that a timeout ends its workers too
        os.chdir(cwd)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        sys.argv = [str(REPO / "run.py"), *args]
        from sim.cli.main import main

        main(prog_name="run.py")
    except SystemExit as exc:
        c = exc.code
        code = c if isinstance(c, int) else (0 if c is None else 1)
        if not isinstance(c, int) and c is not None:
            print(c, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - shown as Python would show it
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


SECRET = "TOPSECRET-7f3a"
"""A marker planted in files that are not the user's: no message may ever show it."""
PASSWD = f"root:x:0:0:root:/root:/bin/bash\noperator:x:11:0:{SECRET}:/root:/sbin/nologin\n"
FOREIGN_MAPPING = f"api_key: {SECRET}-key\npassword: {SECRET}-password\nhosts: [a, b]\n"
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+): (?P<msg>.+)$")
"""A located problem: ``FILE:LINE: path.to.field: message``."""


def one_line(res: dict) -> str:
    """The one line that a refused input prints (and the checks every refusal passes: exit 2,
    no traceback, nothing of a foreign file echoed)."""
    out = res["stdout"] + res["stderr"]
    assert res["code"] == 2, res
    assert "Traceback" not in out, res["stderr"]
    assert SECRET not in out and "root:x:0" not in out, out
    lines = [ln for ln in res["stderr"].splitlines() if ln.strip()]
    assert len(lines) == 1, res["stderr"]
    return lines[0]


def first_problems_and_count(res: dict, shown: int) -> list[str]:
    """The lines of a refusal with many problems: the first ``shown``, then one that counts the
    rest (exit 2, no traceback)."""
    lines = res["stderr"].splitlines()
    assert res["code"] == 2 and "Traceback" not in res["stderr"] and len(lines) == shown + 1, res["stderr"]
    return lines


def run_all(cases: list[dict]) -> dict[str, dict]:
    """Run every case, :data:`PARALLEL` at a time; see the module docstring."""
    import sim.cli.main  # noqa: F401 - every command and its light imports, once

    for heavy in ("pandas", "pyarrow.parquet", "sim.model", "sim.backtest", "sim.trace", "sim.sweep.runner", "sim.sweep.design", "sim.sweep.analysis", "sim.ui.save", "sim.debrief"):
        try:
            __import__(heavy)
        except ImportError:
            pass
    results: dict[str, dict] = {}
    running: dict[int, tuple[str, int, int, str, str, float]] = {}
    todo = sorted(cases, key=lambda c: c.get("phase", 0))
    with tempfile.TemporaryDirectory() as tmp:

        def finish(pid: int, code: int) -> None:
            name, ofd, efd, opath, epath, _ = running.pop(pid)
            os.close(ofd)
            os.close(efd)
            err = Path(epath).read_text(errors="replace")
            results[name] = {"code": code, "stdout": Path(opath).read_text(errors="replace"), "stderr": err + ("TIMEOUT\n" if code == -9 else "")}

        def reap() -> None:
            """Wait until one command line ends (or is killed for taking too long)."""
            while True:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid:
                    finish(pid, os.waitstatus_to_exitcode(status))
                    return
                now = time.monotonic()
                for p, entry in list(running.items()):
                    if now - entry[5] > TIMEOUT:
                        try:
                            os.killpg(p, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        os.waitpid(p, 0)
                        finish(p, -9)
                        return
                time.sleep(0.02)

        for k, case in enumerate(todo):
            while len(running) >= PARALLEL or (running and k and case.get("phase", 0) != todo[k - 1].get("phase", 0)):
                reap()
            opath, epath = os.path.join(tmp, f"{k}.out"), os.path.join(tmp, f"{k}.err")
            ofd = os.open(opath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            efd = os.open(epath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(case["args"], case["cwd"], ofd, efd, case.get("env"))
            running[pid] = (case["name"], ofd, efd, opath, epath, time.monotonic())
        while running:
            reap()
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    cases_file, results_file = sys.argv[1], sys.argv[2]
    out = run_all(json.loads(Path(cases_file).read_text()))
    Path(results_file).write_text(json.dumps(out))
