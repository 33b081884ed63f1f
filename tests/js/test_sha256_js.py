"""upload.js computes the SHA-256 the server checks: its Node tests, run from pytest."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("sha256.test.mjs")


def pattern(size: int) -> bytes:
    """The same bytes as `pattern()` in sha256.test.mjs."""
    return bytes((i * 31 + 7) & 0xFF for i in range(size))


def test_the_browser_sha256_matches_hashlib():
    node = shutil.which("node")
    assert node, "Node.js is needed to test upload.js (apt-get install nodejs)"
    env = {**os.environ, "STEWARD_PATTERN_SHA256": hashlib.sha256(pattern(1024 * 1024)).hexdigest()}
    result = subprocess.run(
        [node, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every test ran and passed: none skipped.
    assert "# fail 0" in result.stdout and "# skipped 0" in result.stdout
    assert "# pass 0" not in result.stdout
