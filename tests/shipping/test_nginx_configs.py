"""The nginx configurations in deploy/ are valid for nginx itself (`nginx -t`).

deploy/nginx.conf (the TLS sample) and deploy/compose/nginx.conf (the stack's) both
include deploy/nginx/conduit-app.conf, which the browser tests also serve the
front ends with. Each is checked inside a minimal nginx.conf in a scratch folder;
only what is the operator's own (host names resolved here, certificate and log
paths) is replaced.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=conduit.example.com", "-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def _nginx_test(folder: Path, server_config: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of `server_config` inside an http block, everything kept in `folder`."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} not found (apt-get install nginx)")
    (folder / "snippets").mkdir()
    shutil.copy(ROOT / "deploy" / "nginx" / "conduit-app.conf", folder / "snippets")
    temp_paths = "".join(
        f"{kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\n{temp_paths}{server_config}\n}}\n"
    )
    return subprocess.run(
        [str(NGINX), "-t", "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_production_sample_is_valid(tmp_path: Path) -> None:
    certificate, key = _self_signed_certificate(tmp_path)
    config = (
        (ROOT / "deploy" / "nginx.conf")
        .read_text()
        .replace("/etc/letsencrypt/live/conduit.example.com/fullchain.pem", str(certificate))
        .replace("/etc/letsencrypt/live/conduit.example.com/privkey.pem", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    result = _nginx_test(tmp_path, config)
    assert result.returncode == 0, result.stderr


def test_the_stacks_configuration_is_valid(tmp_path: Path) -> None:
    # `app` is the app's service name, resolved by the stack's own DNS.
    config = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    assert "server app:8000 " in config
    result = _nginx_test(tmp_path, config.replace("server app:8000 ", "server 127.0.0.1:8000 "))
    assert result.returncode == 0, result.stderr
