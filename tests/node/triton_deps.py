"""NVIDIA's tritonclient for the node tests, installed from PyPI into a folder of the build
the first time (the tests that use it skip, exit 77, where it cannot be installed), and a
client that waits for a node to be ready."""
import importlib
import os
import subprocess
import sys
import time


def import_tritonclient(deps):
    """tritonclient.grpc, from `deps` (installing it there if needed); exits 77 if impossible."""
    os.makedirs(deps, exist_ok=True)  # on sys.path before it exists, Python would never look
    sys.path.insert(0, deps)
    try:
        import tritonclient.grpc as triton
    except ImportError:
        install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                                  deps, "tritonclient[grpc]"], capture_output=True, text=True,
                                 timeout=300)
        if install.returncode != 0:
            print(f"SKIPPED: cannot install tritonclient here: {install.stderr.strip()[-300:]}")
            sys.exit(77)
        importlib.invalidate_caches()
        import tritonclient.grpc as triton
    return triton


def ready_client(triton, port, seconds=30):
    """A client of the node at 127.0.0.1:`port`, once the node says it is ready (or the time is
    up: the test's own checks then fail)."""
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if client.is_server_ready():
                break
        except Exception:  # not listening yet
            pass
        time.sleep(0.1)
    return client
