"""Serving the app: the Streamlit command, the password, and the app's temporary folders.

`planner app` binds 127.0.0.1 unless told another host; any other host needs a password,
which the app asks for before any page (see app.py). Only a salted scrypt hash of it reaches
the Streamlit process (environment variable ``PLANNER_APP_PASSWORD_HASH``), and it is checked
in constant time.

Temporary files (working copies of the demo, uploads, exports) live in one folder per server
process under ``<tmp>/planner-app/``, one sub-folder per browser session: a session's folder is
removed when Streamlit drops the session, the server's when it stops, and the folders of
servers that no longer run are removed when the next one starts.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import os
import secrets
import shutil
import sys
import tempfile
import uuid
import weakref
from pathlib import Path

from planner.errors import InputError

PASSWORD_ENV = "PLANNER_APP_PASSWORD"
PROFILE_ENV = "PLANNER_PROFILE"  # the profile `planner app --profile` opens with
HASH_ENV = "PLANNER_APP_PASSWORD_HASH"
FOLDER_ENV = "PLANNER_APP_TMP"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return a salted scrypt hash of `password` as text: ``scrypt$n$r$p$salt$hash``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return "$".join(["scrypt", *(str(_SCRYPT[k]) for k in "nrp"), b64(salt).decode(),
                     b64(digest).decode()])


def check_password(password: str, stored: str) -> bool:
    """Return whether `password` matches a hash made by :func:`hash_password` (constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), dklen=32,
                             n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def read_password(path: str | os.PathLike | None, environ: dict[str, str]) -> str | None:
    """Return the password from a file (its first line) or the environment, or None.

    Raises
    ------
    InputError
        The file cannot be read, or holds no password.
    """
    if path is None:
        return environ.get(PASSWORD_ENV) or None
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(file.name, f"cannot read the password file: {exc}") from None
    password = text.splitlines()[0].strip() if text.strip() else ""
    if not password:
        raise InputError.single(file.name, "the password file is empty; write the password on "
                                "its first line")
    return password


def needs_password(host: str) -> bool:
    """Return whether serving on `host` needs a password (any host but this computer's)."""
    return host not in LOOPBACK


def streamlit_command(app: Path, *, host: str, port: int) -> list[str]:
    """Return the command that serves `app` with the planner's safety settings.

    XSRF protection and CORS (which also makes Streamlit check a websocket's origin) stay on,
    error details and the developer toolbar are not sent to the browser.
    """
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", host, "--server.port", str(port),
            "--server.headless", "true", "--server.enableCORS", "true",
            "--server.enableXsrfProtection", "true", "--server.enableStaticServing", "true",
            "--server.runOnSave", "false", "--server.fileWatcherType", "none",
            "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
            "--browser.gatherUsageStats", "false"]


def tmp_root() -> Path:
    """Return the folder that holds every app server's temporary folder."""
    return Path(tempfile.gettempdir()) / "planner-app"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(root: Path | None = None) -> list[Path]:
    """Remove the temporary folders of app servers that no longer run; return them."""
    root = root or tmp_root()
    removed = []
    for folder in root.glob("server-*") if root.is_dir() else []:
        try:
            pid = int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


_SERVER: dict[str, Path] = {}  # this process's folder, made once (not a setting)


def server_folder() -> Path:
    """Return this server process's temporary folder (made on first use, removed at exit)."""
    if "path" not in _SERVER:
        given = os.environ.get(FOLDER_ENV)
        path = Path(given) if given else tmp_root() / f"server-{os.getpid()}"
        path.mkdir(parents=True, exist_ok=True)
        atexit.register(shutil.rmtree, path, True)
        _SERVER["path"] = path
    return _SERVER["path"]


class SessionFolder:
    """A browser session's temporary folder, removed when the session object is dropped.

    Keep the object in the session's state: when Streamlit ends the session and the state is
    garbage-collected, the folder goes with it.
    """

    def __init__(self) -> None:
        self.path = server_folder() / f"session-{uuid.uuid4().hex}"
        self.path.mkdir(parents=True)
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def new(self, prefix: str) -> Path:
        """Return a new empty sub-folder (an upload, an export)."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.path))

    def remove(self) -> None:
        """Remove the folder now."""
        self._finalizer()
