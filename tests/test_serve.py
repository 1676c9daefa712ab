"""Serving the app safely: loopback by default, a password for any other host, no traceback
in the browser, websocket origins checked, SIGTERM stops everything, temp folders cleaned."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import serve

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PLANNER_WORKSPACE", serve.PASSWORD_ENV, serve.HASH_ENV,
                        serve.PROFILE_ENV)}
    env.update(extra)
    return env


def _start(*args: str, env: dict[str, str] | None = None):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port),
                             *args], env=env or _env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as r:
                if r.read() == b"ok":
                    return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    pytest.fail("the app did not answer:\n" + proc.stdout.read())


def _listening(port: int) -> set[str]:
    """The local addresses listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            addr, state = fields[1], fields[3]
            host, p = addr.split(":")
            if int(p, 16) == port and state == "0A":
                if width == 8:
                    found.add(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
                else:
                    raw = b"".join(bytes.fromhex(host[i:i + 8])[::-1] for i in range(0, 32, 8))
                    found.add(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def _processes_with(text: str) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            out.append(int(proc.name))
    return out


@pytest.fixture(scope="module")
def served():
    proc, port = _start()
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=20)
    proc.stdout.close()


def test_listens_on_loopback_only_by_default(served):
    _, port = served
    assert _listening(port) == {"127.0.0.1"}


def test_websocket_from_another_origin_is_refused(served):
    _, port = served

    def handshake(origin: str) -> str:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
                       f"Origin: {origin}\r\n\r\n").encode())
            return s.recv(200).decode(errors="replace").splitlines()[0]

    assert " 101 " in handshake(f"http://127.0.0.1:{port}")
    assert " 101 " not in handshake("http://evil.example")


def test_sigterm_stops_the_streamlit_server():
    proc, port = _start()
    assert _processes_with(f"--server.port {port}") == [proc.pid]  # exec: one process
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    proc.stdout.close()
    time.sleep(0.5)
    assert _processes_with(f"--server.port {port}") == []
    assert _listening(port) == set()


def test_another_host_needs_a_password(tmp_path):
    cmd = [sys.executable, "-m", "planner.cli", "app", "--host", "0.0.0.0",
           "--port", str(_free_port())]
    r = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "serving on 0.0.0.0 lets other computers open the planner" in r.stderr
    assert "--password-file" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    r = subprocess.run([*cmd, "--password-file", str(empty)], env=_env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "empty.txt: the password file is empty" in r.stderr


def test_a_lan_server_asks_for_the_password_and_keeps_only_its_hash(tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("s3cret-Passwort\n", encoding="utf-8")
    proc, port = _start("--host", "0.0.0.0", "--password-file", str(secret))
    try:
        assert _listening(port) == {"0.0.0.0"}
        environ = (Path("/proc") / str(proc.pid) / "environ").read_bytes().split(b"\0")
        assert not any(b"s3cret-Passwort" in e for e in environ)
        stored = next(e for e in environ if e.startswith(serve.HASH_ENV.encode()))
        assert serve.check_password("s3cret-Passwort", stored.decode().split("=", 1)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_the_password_hash():
    stored = serve.hash_password("密码 with spaces")
    assert stored.startswith("scrypt$16384$8$1$")
    assert serve.check_password("密码 with spaces", stored)
    assert not serve.check_password("密码 with space", stored)
    assert not serve.check_password("x", "not a hash")
    assert serve.hash_password("a") != serve.hash_password("a")  # salted


def test_login_form_before_any_page(monkeypatch):
    monkeypatch.setenv(serve.HASH_ENV, serve.hash_password("right"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert [x.label for x in at.text_input] == ["密码"]
    assert not at.header and "bench" not in at.session_state  # nothing of the county yet
    at.text_input(key="login_password").input("wrong")
    at.button[0].click().run()
    assert at.error[0].value == "登录：密码不正确，请重新输入。"
    assert not at.header and "bench" not in at.session_state
    at.text_input(key="login_password").input("right")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.header[0].value == "示范县（合成数据）"


def test_an_unexpected_error_is_logged_not_shown(caplog):
    def script():
        from app_pages.common import guarded

        class Broken:
            title = "broken"

            def run(self):
                raise RuntimeError("secret internals /srv/x.py line 3")

        guarded(Broken())

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert at.error[0].value.startswith("页面出现意外错误")
    assert "secret internals" not in at.error[0].value
    assert "secret internals" in caplog.text


def test_streamlit_settings_keep_protections_on():
    cmd = serve.streamlit_command(Path("app.py"), host="127.0.0.1", port=1)
    opts = dict(zip(cmd[5::2], cmd[6::2], strict=False))
    assert opts["--server.address"] == "127.0.0.1"
    assert opts["--server.enableCORS"] == "true"
    assert opts["--server.enableXsrfProtection"] == "true"
    assert opts["--client.showErrorDetails"] == "none"
    assert opts["--client.toolbarMode"] == "minimal"
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'showErrorDetails = "none"' in config and "enableXsrfProtection = true" in config


def test_session_and_stale_folders_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "tmp_root", lambda: tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"server-{dead.pid}"
    (stale / "session-x").mkdir(parents=True)
    alive = tmp_path / f"server-{os.getppid()}"
    alive.mkdir()
    assert serve.remove_stale() == [stale]
    assert not stale.exists() and alive.exists()

    monkeypatch.setenv(serve.FOLDER_ENV, str(tmp_path / "server-now"))
    monkeypatch.setattr(serve, "_SERVER", {})
    folder = serve.SessionFolder()
    upload = folder.new("upload-")
    (upload / "a.xlsx").write_bytes(b"x")
    path = folder.path
    assert path.is_dir() and path.parent == tmp_path / "server-now"
    del folder
    gc.collect()
    assert not path.exists()  # the session ended: its folder went with it


def test_the_app_serves_the_profile_asked_for():
    r = subprocess.run([sys.executable, "-m", "planner.cli", "app", "--profile", "hebei",
                        "--port", str(_free_port())], env=_env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "unknown standards profile 'hebei'; built in: national_2017, henan" in r.stderr
    proc, port = _start("--profile", "henan")
    try:
        environ = (Path("/proc") / str(proc.pid) / "environ").read_bytes().split(b"\0")
        assert f"{serve.PROFILE_ENV}=henan".encode() in environ  # the app's first choice
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out = proc.stdout.read()
        proc.stdout.close()
    assert f"planner: serving demo_county.gpkg (henan) at http://localhost:{port}" in out
