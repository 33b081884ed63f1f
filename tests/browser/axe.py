"""axe-core, the accessibility checker the browser journeys run in every page they visit.

It comes from the npm registry as the package's tarball, pinned to one version and checked
against the registry's sha512 integrity value before anything is extracted; only axe.min.js is
kept, under .cache/ (ignored by git). `make test` runs this module first, so the tests
themselves never touch the network:

    python -m tests.browser.axe
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# The "integrity" of this version in https://registry.npmjs.org/axe-core (dist.integrity).
INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5q"
    "b2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
MEMBER = "package/axe.min.js"

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".cache" / "axe-core" / VERSION / "axe.min.js"


def integrity_of(data: bytes) -> str:
    """The Subresource Integrity string npm publishes for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(path: Path = SCRIPT) -> Path:
    """Download the pinned tarball, verify it, and write its axe.min.js to `path` (once)."""
    if path.exists():
        return path
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data = response.read()
    if integrity_of(data) != INTEGRITY:
        raise RuntimeError(f"{TARBALL} does not match the pinned integrity {INTEGRITY}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise RuntimeError(f"{TARBALL} has no {MEMBER}")
        script = member.read()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside, then renamed: an interrupted run leaves no half file to trust later.
    partial = path.with_suffix(".partial")
    partial.write_bytes(script)
    partial.replace(path)
    return path


if __name__ == "__main__":
    print(f"axe-core {VERSION}: {fetch().relative_to(ROOT)}", file=sys.stderr)
