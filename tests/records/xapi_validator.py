"""Runs the real xAPI validator (npm @learninglocker/xapi-validation) on statements, via node."""

import json
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("validate_statements.js")
ROOT = Path(__file__).resolve().parents[2]


def validation_errors(statements: list[dict]) -> list[list[dict]]:
    """Per statement, the validator's errors ([] when the statement is valid)."""
    proc = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"the validator did not run (npm install?): {proc.stderr}"
    return json.loads(proc.stdout)
