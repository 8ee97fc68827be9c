"""The peer: a pinned LiteLLM proxy, in its own venv, relaying the same paced fake.

LiteLLM 1.82.7 and 1.82.8 on PyPI were trojanized (a credential stealer, the second one as a
`.pth` file that runs on every Python start). So the version is pinned, the LiteLLM wheel itself
is installed with `--require-hashes`, the venv is checked for `.pth` files LiteLLM should not
have, and the proxy runs with an environment that holds no secrets.

1.93.0 is the version Busbar's published stream suite measured (the same 64 deltas at 20 ms),
so our numbers for it can be set beside theirs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.proc_stats import stop

VERSION = "1.93.0"
# sha256 of litellm-1.93.0-cp311-cp311-manylinux_2_28_x86_64.whl as served by PyPI.
WHEEL_SHA256 = "460001b7c88c5b6675ad482ae3cecba96e21f890604b4febb1a67807ace1c750"
VENV = Path(__file__).resolve().parent / ".venv-litellm"
STAMP = VENV / f".installed-{VERSION}"
# .pth files a clean venv with these packages may hold; anything else is a reason to stop.
EXPECTED_PTH = {"distutils-precedence.pth", "_virtualenv.pth"}


def ensure_venv() -> Path:
    """Create bench/.venv-litellm with litellm[proxy]==VERSION once; returns its python."""
    python = VENV / "bin" / "python"
    if STAMP.exists():
        _check_pth_files()
        return python
    print(f"bench: creating {VENV.name} with litellm[proxy]=={VERSION} (first run only, a few minutes)", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pinned:
        pinned.write(f"litellm=={VERSION} --hash=sha256:{WHEEL_SHA256}\n")
    try:
        # The wheel that matters is checked against its hash; the proxy extras come after, with
        # litellm already installed, so pip cannot swap it for another build.
        subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", pinned.name], check=True, timeout=900)
        subprocess.run([*pip, f"litellm[proxy]=={VERSION}"], check=True, timeout=900)
    finally:
        os.unlink(pinned.name)
    _check_pth_files()
    STAMP.touch()
    return python


def _check_pth_files() -> None:
    for site in VENV.glob("lib/python*/site-packages"):
        unexpected = {p.name for p in site.glob("*.pth")} - EXPECTED_PTH
        if unexpected:
            raise RuntimeError(f"unexpected .pth files in {site}: {sorted(unexpected)}; delete {VENV} and look")


class LiteLLMProxy:
    """`litellm --config` on a free loopback port, one worker, no database, no callbacks."""

    def __init__(self, workdir: Path, fake_origin: str, port: int) -> None:
        python = ensure_venv()
        self.port = port
        config = workdir / "litellm.yaml"
        config.write_text(
            "model_list:\n"
            "  - model_name: fake\n"
            "    litellm_params:\n"
            "      model: openai/fake\n"
            f"      api_base: {fake_origin}/v1\n"
            "      api_key: sk-bench\n"
            "litellm_settings:\n"
            "  callbacks: []\n"
            "  num_retries: 0\n"
            "  telemetry: false\n"
        )
        env = {
            "PATH": f"{python.parent}:/usr/bin:/bin",
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the cost map at import
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOG": "ERROR",
        }
        self.log = workdir / "litellm.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(python.parent / "litellm"),
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--num_workers",
                    "1",
                ],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout=120)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"litellm exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health/liveliness", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"litellm not ready after {timeout} s:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        stop(self.process)
