"""The build files agree with each other: pyproject.toml is the source of
truth for dependencies, environment.yml follows it, and every make target is a
thin wrapper over a `fupin` command."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _environment_requirements():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = {}, {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if not line.startswith("-"):
                    requirement = Requirement(line)
                    pip[requirement.name.lower()] = str(requirement.specifier)
        elif not entry.startswith(("python=", "pip")) or entry.startswith("pip "):
            requirement = Requirement(entry)
            conda[requirement.name.lower()] = str(requirement.specifier)
    return environment, conda, pip


def test_environment_lists_every_dependency_with_same_bound():
    _, conda, pip = _environment_requirements()
    for line in _pyproject()["project"]["dependencies"]:
        requirement = Requirement(line)
        name = requirement.name.lower()
        assert name in conda or name in pip, f"{name} is missing from environment.yml"
        found = conda.get(name, pip.get(name))
        assert found == str(requirement.specifier), f"{name}: {found!r} != {requirement.specifier}"


def test_environment_has_no_extra_packages():
    _, conda, pip = _environment_requirements()
    declared = {Requirement(line).name.lower() for line in _pyproject()["project"]["dependencies"]}
    assert set(conda) | set(pip) <= declared


def test_environment_uses_conda_forge_and_python_311():
    environment, _, _ = _environment_requirements()
    assert environment["channels"] == ["conda-forge"]
    assert "python=3.11" in environment["dependencies"]


def test_environment_pip_section_installs_project():
    environment, _, _ = _environment_requirements()
    pip_sections = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    assert pip_sections
    assert "-e ." in pip_sections[0]


def test_dependencies_have_lower_bounds():
    for line in _pyproject()["project"]["dependencies"]:
        specifier = str(Requirement(line).specifier)
        assert ">=" in specifier or "==" in specifier, f"{line} has no lower bound"


def test_pyproject_declares_fupin_command():
    assert _pyproject()["project"]["scripts"]["fupin"] == "fupin_lib.cli:main"


def test_make_targets_wrap_fupin_commands():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target, command in [("demo", "demo"), ("test", "test"), ("lab", "lab"), ("wheelhouse", "wheelhouse")]:
        body = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert body, f"make target {target} is missing"
        assert f"$(FUPIN) {command}" in body.group(1)


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_fupin_help_lists_commands():
    result = subprocess.run([sys.executable, "-m", "fupin_lib.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "命令" in result.stdout
    assert "demo" in result.stdout


def test_fupin_unknown_command_fails():
    result = subprocess.run([sys.executable, "-m", "fupin_lib.cli", "no-such-command"], capture_output=True, text=True)
    assert result.returncode != 0


def test_fupin_unreachable_database_message(monkeypatch):
    monkeypatch.setenv("FUPIN_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    result = subprocess.run([sys.executable, "-m", "fupin_lib.cli", "user", "list"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "无法连接数据库" in result.stderr
    assert "Traceback" not in result.stderr
