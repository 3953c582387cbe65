"""Print the packages of uv.lock that only a CUDA build of torch needs, one per line.

The model-backend test environment (``.venv-torch``, built by ``make test``) installs the
``diffusers`` extra from uv.lock without torch and without these: uv would download PyPI's
CUDA build of torch (several GB, plus these runtimes), while ``pip install torch==<locked
version>`` on these machines takes a CPU build that lies on disk. The CUDA runtime is what
torch reaches through its Linux-only dependencies, less anything another package also needs.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

Package = dict[str, Any]


def _requirements(package: Package) -> Iterator[Package]:
    """Every requirement of ``package``, its extras' included (a lock lists those apart)."""
    yield from package.get("dependencies", [])
    for group in package.get("optional-dependencies", {}).values():
        yield from group
    for group in package.get("dev-dependencies", {}).values():
        yield from group


def _closure(packages: dict[str, Package], start: Iterable[str], stop: str = "") -> set[str]:
    found: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in found or name == stop:
            continue
        found.add(name)
        todo.extend(str(dep["name"]) for dep in _requirements(packages[name]))
    return found


def cuda_packages(lock: dict[str, Any]) -> list[str]:
    packages: dict[str, Package] = {str(p["name"]): p for p in lock["package"]}
    linux_only = [
        str(dep["name"])
        for dep in packages["torch"].get("dependencies", [])
        if "sys_platform == 'linux'" in str(dep.get("marker", ""))
    ]
    cuda = _closure(packages, linux_only)
    roots = [name for name, p in packages.items() if "editable" in p.get("source", {})]
    elsewhere = _closure(packages, roots, stop="torch")
    return sorted(cuda - elsewhere)


def torch_version(lock: dict[str, Any]) -> str:
    return next(str(p["version"]) for p in lock["package"] if p["name"] == "torch")


def main() -> None:
    """``--no-install-args``: uv sync's arguments leaving torch and its CUDA runtime out;
    ``--torch-version``: the locked torch release; neither: the CUDA packages."""
    lock = tomllib.loads(Path("uv.lock").read_text())
    if "--torch-version" in sys.argv:
        print(torch_version(lock))
    elif "--no-install-args" in sys.argv:
        print(" ".join(f"--no-install-package {name}" for name in ["torch", *cuda_packages(lock)]))
    else:
        print("\n".join(cuda_packages(lock)))


if __name__ == "__main__":
    main()
