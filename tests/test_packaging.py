"""pyproject.toml lists its packages by hand (so the top-level schemas/ folder can ship as
provisioner.schemas): every Python package in the source tree must be listed there."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
