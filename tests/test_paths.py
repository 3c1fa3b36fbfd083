"""Data folders resolved against the project root, never against the kernel's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

import analysis.sample
from analysis import paths
from analysis.paths import DATA_ENV, project_root, resolve_data_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A stand-in project root with a data folder, and a working directory elsewhere."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    root = tmp_path / "projekt"
    (root / "data" / "sample").mkdir(parents=True)
    (root / "data" / "egna").mkdir()
    elsewhere = tmp_path / "annanstans"
    (elsewhere / "data" / "egna").mkdir(parents=True)  # same relative path: must not be taken
    monkeypatch.chdir(elsewhere)
    return root


def test_project_root_is_found_from_the_package_and_from_notebooks(monkeypatch):
    assert project_root() == ROOT
    assert project_root(ROOT / "notebooks") == ROOT
    monkeypatch.chdir(ROOT / "notebooks")
    assert project_root() == ROOT


def test_project_root_needs_the_projects_pyproject(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "something-else"\n')
    assert project_root(tmp_path / "notebooks") is None


def test_relative_paths_resolve_against_the_root_not_the_cwd(project):
    assert resolve_data_dir("data/egna", root=project) == project / "data" / "egna"
    assert resolve_data_dir("data/sample", root=project) == project / "data" / "sample"
    assert resolve_data_dir("", root=project) == project / "data" / "sample"


def test_absolute_paths_stand(project, tmp_path):
    assert resolve_data_dir(str(tmp_path), root=project) == tmp_path.resolve()


def test_the_environment_variable_replaces_only_the_default(project, tmp_path, monkeypatch):
    mine = tmp_path / "riktiga_data"
    mine.mkdir()
    monkeypatch.setenv(DATA_ENV, str(mine))
    assert resolve_data_dir("data/sample", root=project) == mine
    assert resolve_data_dir("", root=project) == mine
    assert resolve_data_dir("data/egna", root=project) == project / "data" / "egna"
    monkeypatch.setenv(DATA_ENV, "data/egna")  # relative: against the root as well
    assert resolve_data_dir(root=project) == project / "data" / "egna"


def test_missing_folder_says_what_to_do(project, monkeypatch):
    with pytest.raises(FileNotFoundError, match=r"lagesbild sample --out .*saknas"):
        resolve_data_dir("data/saknas", root=project)
    monkeypatch.setenv(DATA_ENV, str(project / "inte_har"))
    with pytest.raises(FileNotFoundError, match=f"environment variable {DATA_ENV}"):
        resolve_data_dir(root=project)


def test_relative_path_outside_a_clone_is_refused(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setattr(paths, "project_root", lambda start=None: None)
    with pytest.raises(FileNotFoundError, match=f"absolute path or set {DATA_ENV}"):
        resolve_data_dir("data/sample")


def test_the_default_sample_is_written_on_first_use_and_only_there(project, monkeypatch, caplog):
    written = []

    def fake_write_sample(out, *args, **kwargs):
        written.append(Path(out))
        Path(out).mkdir(parents=True)
        return {}

    monkeypatch.setattr(analysis.sample, "write_sample", fake_write_sample)
    (project / "data" / "sample").rmdir()
    with caplog.at_level("WARNING", logger="analysis"):
        assert resolve_data_dir(root=project) == project / "data" / "sample"
    assert written == [project / "data" / "sample"]
    assert "writing the synthetic sample" in caplog.text
    with pytest.raises(FileNotFoundError):
        resolve_data_dir("data/annat", root=project)
    (project / "data" / "sample").rmdir()
    with pytest.raises(FileNotFoundError):
        resolve_data_dir(root=project, write_sample_if_missing=False)
    assert len(written) == 1
