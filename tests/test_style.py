"""House rules that keep the code base what the README promises."""

import subprocess
import sys

from tests.conftest import ROOT


def test_the_code_is_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_nothing_under_geo_imports_streamlit():
    offenders = [p.name for p in (ROOT / "geo").glob("*.py")
                 if any(line.lstrip().startswith(("import streamlit", "from streamlit"))
                        for line in p.read_text(encoding="utf-8").splitlines())]
    assert offenders == []
