"""How fast the web server answers a minimal view (GET /healthz: one SELECT 1), both ways
`cityos serve` can run: gunicorn (WSGI, the default) and uvicorn (ASGI, `--asgi`).

Needs `wrk` (Debian package) and a database: DATABASE_URL (default: a fresh SQLite file).
Usage: python bench/serve_healthz.py [--seconds 10] [--connections 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CITYOS = str(Path(sys.executable).parent / "cityos")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not start")


def measure(mode: str, args: argparse.Namespace, env: dict[str, str]) -> float:
    port = free_port()
    command = [CITYOS, "serve", "--port", str(port), "--workers", str(args.workers)]
    if mode == "asgi":
        command.append("--asgi")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_until_up(port)
        time.sleep(1)
        output = subprocess.run(  # noqa: S603
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", f"http://127.0.0.1:{port}/healthz"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return float(match.group(1)) if match else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    var_dir = tempfile.mkdtemp(prefix="cityos-bench-serve-")
    env = {**os.environ, "CITYOS_VAR_DIR": var_dir, "CITYOS_LOG_LEVEL": "WARNING"}
    subprocess.run([CITYOS, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    for mode in ("wsgi", "asgi"):
        rate = measure(mode, args, env)
        print(f"{mode}: {rate:,.0f} requests/s ({args.workers} workers, {args.connections} connections)")


if __name__ == "__main__":
    main()
