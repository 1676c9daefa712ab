import subprocess
import sys
from pathlib import Path


def test_ruff_finds_nothing():
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(root)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
