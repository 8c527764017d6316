"""An optional mypyc-compiled build of the simulator's pure modules, beside the package.

The engine, the simulator's loop and the KPI accumulator are plain, fully typed Python;
mypyc (shipped with mypy: ``pip install 'dozvon[compiled]'`` and a C compiler) turns
them into C extensions that run the same code faster. Nothing depends on it: the
installed package stays pure Python, and a compiled build is a separate copy of the
package under ``build/compiled/<hash of the sources>/`` (in a source checkout; else in
the user's cache folder) that a process uses only when that folder comes first on its
``PYTHONPATH`` (``bench/bench_simulator.py`` does so for its "compiled" figures). It
gives the same results to the last bit (tests/sim/test_compiled.py).

Why a copy and not extensions next to the sources: in a checkout, an extension left next
to a ``.py`` that was edited since would silently run the old code; a copy keyed by the
hash of the compiled modules' sources is either current or rebuilt.

    python -m dozvon.sim.compiled          # build (or find) it, print its folder
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The modules compiled: the routing engine, the clock it reads, the simulator's loop and
#: the KPI accumulator it feeds. The rest of the package is copied as it is.
COMPILED = (
    "dozvon/core/clock.py",
    "dozvon/routing/*.py",
    "dozvon/sim/simulator.py",
    "dozvon/analytics/kpi.py",
)

PACKAGE = Path(__file__).resolve().parents[1]


def available() -> bool:
    """Whether this machine can build it: mypyc importable and a C compiler on the path."""
    try:
        import mypyc  # noqa: F401
    except ImportError:
        return False
    return any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))


def _compiled_sources() -> list[Path]:
    return sorted(p for pattern in COMPILED for p in PACKAGE.parent.glob(pattern))


def source_hash() -> str:
    """A hash of the compiled modules' sources (and of mypyc's version): an edit of any
    of them gives another build folder."""
    from mypy.version import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in _compiled_sources():
        digest.update(str(path.relative_to(PACKAGE.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _copy_package(target: Path) -> None:
    """The package's files into ``target/dozvon`` (the pure modules the compiled ones
    import: kept current on every use, they are not part of the hash)."""
    shutil.copytree(PACKAGE, target / "dozvon", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.pyc"))


def default_root() -> Path:
    """``build/compiled`` of a source checkout; else the user's cache folder."""
    if (PACKAGE.parent / "pyproject.toml").is_file():
        return PACKAGE.parent / "build" / "compiled"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dozvon" / "compiled"


def build(root: Path | None = None, quiet: bool = True) -> Path:
    """The folder of a compiled build of the current sources, built if missing (a minute
    or two). Put it first on ``PYTHONPATH`` to use it."""
    root = root or default_root()
    target = root / source_hash()
    if (target / "dozvon").is_dir():
        _copy_package(target)
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="building-", dir=root))
    try:
        _copy_package(work)
        files = sorted(str(p.relative_to(work)) for pattern in COMPILED for p in work.glob(pattern))
        env = {**os.environ, "MYPYC_OPT_LEVEL": os.environ.get("MYPYC_OPT_LEVEL", "3")}
        result = subprocess.run([sys.executable, "-m", "mypyc", *files], cwd=work, env=env,
                                capture_output=quiet, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"mypyc failed:\n{result.stdout or ''}{result.stderr or ''}")
        shutil.rmtree(work / "build", ignore_errors=True)
        try:
            work.rename(target)  # atomic: a concurrent build of the same sources may win
        except OSError:
            if not (target / "dozvon").is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


if __name__ == "__main__":
    if not available():
        sys.exit("a compiled build needs mypyc (pip install 'dozvon[compiled]') and a C compiler")
    print(build(quiet=False))
