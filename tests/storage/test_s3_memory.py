"""A large S3 upload streams from disk: memory stays flat however big the file is."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storage import S3Storage

if TYPE_CHECKING:
    from tests.support.seaweed import WeedServer

MIB = 1 << 20
FILE_MIB = 96  # 12 parts of 8 MiB: holding the file, or even half of it, would show

# Runs in a fresh interpreter. Growth = peak RSS during the upload minus RSS just before it,
# read from /proc/self/status: ru_maxrss would include the parent's RSS at fork (Linux keeps
# it across exec), and the import-time peak of botocore's service models would hide the upload.
UPLOAD_AND_REPORT = """
import os, sys
from storage import S3Storage, make_s3_client

def status_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

client = make_s3_client(
    os.environ["ENDPOINT"], access_key=os.environ["KEY"], secret_key=os.environ["SECRET"]
)
store = S3Storage(client, os.environ["BUCKET"])
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # reset the peak (VmHWM) to the current RSS
before = status_kib("VmRSS")
store.put_file(sys.argv[1], "originals/large", "video/mp4")
print(max(0, status_kib("VmHWM") - before) // 1024)
"""


@pytest.mark.s3
@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="measures RSS through /proc (Linux)"
)
def test_large_upload_keeps_memory_growth_small(
    s3_storage: S3Storage, weed: WeedServer, tmp_path: Path
) -> None:
    source = tmp_path / "large.mp4"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for _ in range(FILE_MIB):
            block = os.urandom(MIB)
            digest.update(block)
            out.write(block)
    env = {
        **os.environ,
        "ENDPOINT": weed.endpoint_url,
        "KEY": weed.access_key,
        "SECRET": weed.secret_key,
        "BUCKET": s3_storage.bucket,
    }

    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", UPLOAD_AND_REPORT, str(source)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode == 0, result.stderr
    growth_mib = int(result.stdout.strip())
    # Default TransferConfig: at most 4 parts of 8 MiB in flight; measured ~20 MiB at any size.
    assert growth_mib < 40, f"memory grew by {growth_mib} MiB uploading {FILE_MIB} MiB"
    assert s3_storage.size("originals/large") == FILE_MIB * MIB
    streamed = hashlib.sha256()
    for chunk in s3_storage.iter_range("originals/large"):
        streamed.update(chunk)
    assert streamed.hexdigest() == digest.hexdigest()
