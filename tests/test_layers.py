"""The import rules hold, and each import-linter contract really fails when someone breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(project: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    """Run import-linter in ``project`` (only ``contract_ids`` when given); return the finished process."""
    args = [str(LINT_IMPORTS), "--no-cache"]
    for contract_id in contract_ids:
        args += ["--contract", contract_id]
    return subprocess.run(
        args, cwd=project, capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"}, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Return a copy of the package, the contracts and their configuration, free to break."""
    shutil.copytree(ROOT / "ysdw_live", tmp_path / "ysdw_live", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract():
    """lint-imports passes on the code as it is (make test runs it too)."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " BROKEN" not in result.stdout


BAD_IMPORTS = [
    pytest.param(
        "series/services.py", "from ysdw_live import web", "nothing-below-imports-plumbing", id="service->web"
    ),
    pytest.param(
        "meetings/services.py",
        "from ysdw_live.series import views",
        "nothing-below-imports-plumbing",
        id="service->view",
    ),
    pytest.param(
        "actions/serializers.py", "from ysdw_live.actions import services", "domain-layers", id="serializer->service"
    ),
    pytest.param(
        "actions/serializers.py",
        "from ysdw_live.concerns import services",
        "serializers-import-no-service",
        id="serializer->other domain's service",
    ),
    pytest.param("series/views.py", "from ysdw_live.meetings import views", "independent-adapters", id="view->view"),
    pytest.param("actions/api.py", "from ysdw_live.concerns import api", "independent-adapters", id="api->api"),
    pytest.param("realtime/rooms.py", "from ysdw_live.realtime import publisher", "no-cycles", id="module cycle"),
    pytest.param(
        "concerns/models.py",
        "from ysdw_live.actions import models",
        "no-cycles",
        id="cycle between two domains' models",
    ),
    pytest.param("pages.py", "from ysdw_live.auth import views", "plumbing-imports-no-adapter", id="pages->view"),
    pytest.param(
        "api/openapi.py",
        "from ysdw_live.concerns import models",
        "api-package-imports-no-domain",
        id="api package->domain",
    ),
    pytest.param(
        "realtime/publisher.py",
        "from ysdw_live.concerns import services",
        "realtime-calls-no-service",
        id="publisher->service",
    ),
    pytest.param(
        "validation.py", "from ysdw_live.meetings import models", "foundation-imports-no-domain", id="foundation->model"
    ),
]


@pytest.mark.parametrize(("path", "line", "contract_id"), BAD_IMPORTS)
def test_a_bad_import_breaks_its_contract(project: Path, path: str, line: str, contract_id: str):
    """Adding one import that breaks the layer rule makes lint-imports fail on the contract that states it."""
    assert lint_imports(project, contract_id).returncode == 0
    module = project / "ysdw_live" / path
    module.write_text(module.read_text() + f"\n{line}  # noqa: E402\n")
    result = lint_imports(project, contract_id)
    assert result.returncode == 1, result.stdout + result.stderr
    assert " BROKEN" in result.stdout
