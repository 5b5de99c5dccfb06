"""The import directions of docs/architecture.md hold: import-linter's contracts in
pyproject.toml ([tool.importlinter]) are all kept.

Runs in the suite (so CI checks it on every run) rather than as a separate CI step.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(where):
    """import-linter over the `liaison` package found in `where`, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                           f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, no_cache=True))"],
                          cwd=where, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_a_violation_would_be_caught(tmp_path):
    """The contracts bite: the same check on a copy where notify imports requests fails."""
    shutil.copytree(ROOT / "liaison", tmp_path / "liaison",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    (tmp_path / "liaison" / "notify" / "bad.py").write_text("from liaison.requests import models  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1 and "liaison.notify.bad -> liaison.requests.models" in result.stdout
