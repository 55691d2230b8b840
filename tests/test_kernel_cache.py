"""`gbad._kernel_cache`: Numba's cache beside the sources is cleared when a kernel source
changes (Numba itself looks only at each kernel's own file), and left alone otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gbad import _kernel_cache
from gbad._kernel_cache import STAMP_NAME, refresh

KERNEL = "from numba import njit\n\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n"
HELPER = "from numba import njit\n\n\n@njit(cache=True, inline='always')\ndef g(x):\n    return 2 * x\n"
PLAIN = "def h():\n    return '@njit in a string is no kernel'\n"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "kern.py").write_text(KERNEL)
    (pkg / "sub" / "helper.py").write_text(HELPER)
    (pkg / "plain.py").write_text(PLAIN)
    return pkg


def _cache(pkg: Path) -> list[Path]:
    """Cache entries as Numba lays them out beside the sources."""
    files = [
        pkg / "__pycache__" / "kern.f-4.py311.nbi",
        pkg / "__pycache__" / "kern.f-4.py311.1.nbc",
        pkg / "sub" / "__pycache__" / "helper.g-4.py311.nbi",
    ]
    for f in files:
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(b"cached")
    return files


def _edit(path: Path, text: str) -> None:
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_a_cache_of_unknown_provenance_is_cleared_then_kept(package: Path) -> None:
    files = _cache(package)
    assert refresh(package)  # no stamp yet: whatever is there may be stale
    assert not any(f.exists() for f in files)
    assert (package / "__pycache__" / STAMP_NAME).exists()
    files = _cache(package)
    assert not refresh(package)  # nothing changed
    assert all(f.exists() for f in files)


def test_an_edited_helper_clears_every_kernel(package: Path) -> None:
    refresh(package)
    files = _cache(package)
    _edit(package / "sub" / "helper.py", HELPER.replace("2 * x", "3 * x"))
    assert refresh(package)
    assert not any(f.exists() for f in files)


def test_an_edited_plain_module_clears_nothing(package: Path) -> None:
    refresh(package)
    files = _cache(package)
    _edit(package / "plain.py", PLAIN + "\n\nX = 1\n")
    assert not refresh(package)
    assert all(f.exists() for f in files)
    assert not refresh(package)  # and the new stamp holds


@pytest.mark.parametrize("how", ["added", "gone", "no longer a kernel"])
def test_kernel_files_added_or_gone_clear_the_cache(package: Path, how: str) -> None:
    refresh(package)
    files = _cache(package)
    if how == "added":
        (package / "new.py").write_text(KERNEL)
    elif how == "gone":
        (package / "kern.py").unlink()
    else:
        _edit(package / "kern.py", PLAIN)
    assert refresh(package)
    assert not any(f.exists() for f in files)


def test_a_cache_folder_of_the_users_own_is_left_alone(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _cache(package)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(package.parent / "elsewhere"))
    assert not refresh(package)
    assert all(f.exists() for f in files)
    assert not (package / "__pycache__" / STAMP_NAME).exists()


def test_a_package_that_cannot_be_written_is_left_as_it_is(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh(package)
    files = _cache(package)
    _edit(package / "plain.py", PLAIN + "\n\nY = 2\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(_kernel_cache.os, "replace", refuse)
    assert not refresh(package)  # no error, nothing cleared
    assert all(f.exists() for f in files)


def test_the_installed_package_holds_a_current_stamp() -> None:
    """Importing gbad stamped its own kernel sources (or, with NUMBA_CACHE_DIR set, left
    its folder alone): a second look finds nothing to clear."""
    import gbad

    assert not refresh(Path(gbad.__file__).parent)
