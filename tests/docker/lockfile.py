"""What uv.lock says a runtime install holds: the project's dependencies, transitively, without dev
groups, for one target environment (Linux, CPython 3.11, as in the images)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name

LINUX_CPYTHON_311 = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "python_version": "3.11",
    "python_full_version": "3.11.14",
    "platform_machine": "x86_64",
}


def _applies(dependency: Mapping[str, Any], environment: Mapping[str, str], extra: str = "") -> bool:
    marker = dependency.get("marker")
    return marker is None or Marker(marker).evaluate({**environment, "extra": extra})


def runtime_packages(
    lock_path: Path, project: str, environment: Mapping[str, str] = LINUX_CPYTHON_311
) -> dict[str, str]:
    """Canonical name -> locked version of every package a non-dev install of `project` brings."""
    lock = tomllib.loads(lock_path.read_text())
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        packages.setdefault(canonicalize_name(package["name"]), []).append(package)

    def resolve(dependency: Mapping[str, Any]) -> dict[str, Any]:
        candidates = packages[canonicalize_name(dependency["name"])]
        if "version" in dependency:
            candidates = [p for p in candidates if p["version"] == dependency["version"]]
        if len(candidates) != 1:
            raise ValueError(f"uv.lock: cannot tell which {dependency['name']} is meant: {candidates!r}")
        return candidates[0]

    found: dict[str, str] = {}
    todo: list[tuple[dict[str, Any], Iterable[str]]] = [(resolve({"name": project}), ())]
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    while todo:
        package, extras = todo.pop()
        key = (package["name"], package.get("version", ""), tuple(sorted(extras)))
        if key in seen:
            continue
        seen.add(key)
        if package["name"] != project:
            found[canonicalize_name(package["name"])] = package["version"]
        edges = [d for d in package.get("dependencies", []) if _applies(d, environment)]
        for extra in extras:
            optional = package.get("optional-dependencies", {}).get(extra, [])
            edges += [d for d in optional if _applies(d, environment, extra)]
        todo += [(resolve(d), d.get("extra", [])) for d in edges]
    return found
