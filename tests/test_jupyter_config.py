"""JupyterLab opens the jupytext ``.py`` notebooks as notebooks, from the repository's own setting.

JupyterLab takes default-setting overrides from ``labconfig/default_setting_overrides.json``
(and ``….d/*.json``) in every Jupyter config directory: the repository's ``.jupyter/`` (via
``JUPYTER_CONFIG_PATH``, as ``python3 tasks.py lab`` starts it) and the environment's
``etc/jupyter`` (where ``tasks.py`` installs it for ``.venv/bin/jupyter lab``). These tests ask
JupyterLab's own settings code what the default viewer of a Python file is.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTING = ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json"
PLUGIN = "@jupyterlab/docmanager-extension:plugin"


def _default_viewers(monkeypatch, tmp_path, config_path: Path) -> dict:
    """The ``defaultViewers`` default JupyterLab serves with only ``config_path`` configured."""
    import jupyter_server.services.config.manager as config_manager
    from jupyter_core.paths import jupyter_config_path
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(config_path))
    assert jupyter_config_path()[0] == str(config_path)  # searched first, as JupyterLab does
    # ... and nothing else: not the user's, this environment's or the system's config
    monkeypatch.setattr(config_manager, "jupyter_config_path", lambda: [str(config_path)])
    app_settings = tmp_path / "app-settings"  # no environment-wide overrides.json
    app_settings.mkdir(exist_ok=True)
    result, _ = get_settings(str(app_settings), str(Path(get_app_dir()) / "schemas"),
                             str(tmp_path / "user-settings"), schema_name=PLUGIN)
    return result["schema"]["properties"]["defaultViewers"].get("default", {})


def test_setting_names_the_installed_jupytext_viewer():
    viewer = json.loads(SETTING.read_text(encoding="utf-8"))[PLUGIN]["defaultViewers"]["python"]
    from jupyter_core.paths import jupyter_path

    bundles = [p for d in jupyter_path("labextensions")
               for p in (Path(d) / "jupyterlab-jupytext" / "static").glob("*.js")]
    assert bundles, "the jupytext JupyterLab extension is not installed"
    assert any(f'"{viewer}"' in p.read_text(encoding="utf-8", errors="replace") for p in bundles), \
        f"no document widget factory named {viewer!r} in the jupytext extension"


def test_jupyterlab_reads_the_repository_setting(monkeypatch, tmp_path):
    assert _default_viewers(monkeypatch, tmp_path, ROOT / ".jupyter") == {"python": "Jupytext Notebook"}
    assert _default_viewers(monkeypatch, tmp_path, tmp_path / "nothing") == {}  # it is the file


def test_tasks_installs_the_setting_into_an_environment(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("lagesbild_tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    venv = tmp_path / "venv"
    target = tasks.install_lab_settings(venv)
    assert target == venv / "etc/jupyter/labconfig/default_setting_overrides.d/lagesbild.json"
    assert target.read_text(encoding="utf-8") == SETTING.read_text(encoding="utf-8")
    assert tasks.install_lab_settings(venv) == target  # idempotent
    viewers = _default_viewers(monkeypatch, tmp_path, venv / "etc" / "jupyter")
    assert viewers == {"python": "Jupytext Notebook"}


def test_jupytext_config_is_the_repositorys(tmp_path):
    from jupytext.config import find_jupytext_configuration_file

    assert Path(find_jupytext_configuration_file(str(ROOT / "notebooks"))) == ROOT / "jupytext.toml"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda p: p.name)
def test_saving_from_jupyterlab_leaves_the_notebook_as_in_git(path):
    """What JupyterLab adds on open (kernel info, versions, cell state) is filtered on save."""
    import jupytext
    from jupytext.config import load_jupytext_configuration_file

    config = load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))
    nb = jupytext.read(path)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.metadata.setdefault("jupytext", {})["text_representation"] = {
        "extension": ".py", "format_name": "percent", "jupytext_version": "1.19.7"}
    for cell in nb.cells:
        cell.metadata.update({"trusted": True, "collapsed": False,
                              "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}})
    assert jupytext.writes(nb, fmt="py:percent", config=config) == path.read_text(encoding="utf-8")
