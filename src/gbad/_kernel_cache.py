"""Numba's on-disk cache beside the sources, kept in step with every kernel source file.

Numba keys a cached kernel on the time stamp and size of its own source file only, not
on the files of the helpers it calls or inlines: edit a helper in
`world/_ballistic_kernel.py` and the cached kernels of `locating/_kernel.py` go on
running the old one, silently (it happened while working on issue 13). So where the
cache sits beside the sources (``NUMBA_CACHE_DIR`` unset), a stamp of the package's
kernel sources is kept with it: which files hold kernels, with their time stamps and
sizes. When a file that holds, or held, kernels has changed, been added or gone, the
cache is cleared before any kernel loads, and every kernel compiles again once.

An installed release never changes its files, so it never clears anything; a package
directory that cannot be written is left as it is; a cache folder of the user's own
(``NUMBA_CACHE_DIR``) is the user's to manage.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: Where the stamp is kept, in the package's own ``__pycache__``.
STAMP_NAME = "numba-sources.json"
#: What marks a source file as holding kernels: a decorator at the start of a line.
KERNEL_MARK = b"\n@njit"


def _sources(package_dir: Path) -> dict[str, tuple[float, int]]:
    """Every ``.py`` file below the package: relative path -> (mtime, size)."""
    out = {}
    for folder, dirs, files in os.walk(package_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                st = os.stat(path)
                out[os.path.relpath(path, package_dir)] = (st.st_mtime, st.st_size)
    return out


def _cache_files(package_dir: Path) -> list[Path]:
    return [p for p in package_dir.rglob("__pycache__/*") if p.suffix in (".nbi", ".nbc")]


def refresh(package_dir: Path) -> bool:
    """Clear the package's Numba cache if a kernel source changed since it was stamped;
    returns whether it cleared anything. Does nothing where ``NUMBA_CACHE_DIR`` is set or
    the package cannot be written."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return False
    stamp_path = package_dir / "__pycache__" / STAMP_NAME
    try:
        old = json.loads(stamp_path.read_text())
        old_files = {k: (v[0], v[1]) for k, v in old["files"].items()}
        old_kernels = set(old["kernels"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        old_files, old_kernels = None, set()
    now = _sources(package_dir)
    if old_files == now:
        return False
    kernels = set(old_kernels) & set(now)
    changed = set(now) if old_files is None else {k for k in now if old_files.get(k) != now[k]}
    gone = set() if old_files is None else set(old_files) - set(now)
    for rel in changed:
        try:
            holds = KERNEL_MARK in (package_dir / rel).read_bytes()
        except OSError:
            holds = True
        if holds:
            kernels.add(rel)
        else:
            kernels.discard(rel)
    # Unknown provenance (no stamp) or a kernel file changed, added or gone: clear.
    stale = old_files is None or bool((changed | gone) & (kernels | old_kernels))
    cleared = False
    try:
        if stale:
            for path in _cache_files(package_dir):
                path.unlink(missing_ok=True)
                cleared = True
        stamp_path.parent.mkdir(exist_ok=True)
        tmp = stamp_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"files": now, "kernels": sorted(kernels)}))
        os.replace(tmp, stamp_path)
    except OSError:
        return cleared  # a read-only install: leave it as it is
    return cleared
