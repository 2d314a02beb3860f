"""A warm ranking process: `ndmatch serve` keeps a model, its JVM and a warm JIT for later `rank` runs.

A cold `ndmatch rank` spends about 3 s before its first proposal (importing scikit-learn, reading the model,
starting the JVM, loading Komoran's dictionaries) and tokenizes its first thousand proposals with a cold JIT.
A planner who ranks file after file can start ``ndmatch serve`` once; ``ndmatch rank --backend server`` then
only reads and writes the tables and sends chunks of proposals to the server, which scores them with the
same :func:`ndmatch.batch.score_chunk` as the other backends (so the output is identical).

The server listens on a Unix socket only (``socket_path``, mode 0600 inside a 0700 folder): no network port,
and only the user who started it can connect. Messages are length-prefixed UTF-8 JSON, never pickle.
Each connection is served by its own thread; threads share the JVM, which runs them in parallel.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ndmatch.errors import InputError, NdmatchError, UsageError
from ndmatch.programs import Program, find_program

SOCKET_NAME = "serve.sock"
#: Linux limit on a Unix socket path (sun_path is 108 bytes including the final NUL).
MAX_SOCKET_PATH = 107
#: A request larger than this is refused (a chunk of 64 proposals of 200,000 characters is ~40 MB in UTF-8).
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
_HEADER = struct.Struct("!I")


def default_socket_path() -> Path:
    """``$NDMATCH_SOCKET``, else ``serve.sock`` in the user's ndmatch cache folder."""
    override = os.environ.get("NDMATCH_SOCKET")
    if override:
        return Path(override)
    from ndmatch.cache import default_cache_dir

    return default_cache_dir() / SOCKET_NAME


def _check_socket_path(path: Path) -> Path:
    path = Path(path).expanduser().absolute()
    if len(os.fsencode(str(path))) > MAX_SOCKET_PATH:
        raise UsageError(f"{path}: socket path is longer than {MAX_SOCKET_PATH} bytes; pass a shorter --socket")
    return path


# ------------------------------------------------------------------------------------------------- framing


def send_message(sock: socket.socket, message: dict) -> None:
    """Send one length-prefixed JSON message."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    parts, remaining = [], size
    while remaining:
        part = sock.recv(min(remaining, 1 << 20))
        if not part:
            return None
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def receive_message(sock: socket.socket) -> dict | None:
    """Read one message; ``None`` when the peer closed the connection cleanly before a new message."""
    header = _read_exactly(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {size} bytes is larger than the {MAX_MESSAGE_BYTES}-byte limit")
    data = _read_exactly(sock, size)
    if data is None:
        raise ValueError("connection closed in the middle of a message")
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message


# -------------------------------------------------------------------------------------------------- server


def warm_up_texts(limit: int) -> list[str]:
    """Up to ``limit`` training texts of the bundled corpus, to compile the tokenizer's hot paths."""
    from ndmatch.corpus import default_corpus_dir, find_split, load_labelled

    path = find_split(default_corpus_dir(), "proposals")
    if path is None or limit <= 0:
        return []
    return [item.text for item in load_labelled(path)[:limit]]


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: RankServer = self.server  # type: ignore[assignment]
        while True:
            try:
                request = receive_message(self.request)
            except (ValueError, UnicodeDecodeError, OSError) as exc:
                try:
                    send_message(self.request, {"ok": False, "error": f"bad request ({exc})"})
                except OSError:
                    pass
                return
            if request is None:
                return
            reply = server.answer(request)
            try:
                send_message(self.request, reply)
            except OSError:
                return
            if request.get("op") == "shutdown":
                threading.Thread(target=server.shutdown, daemon=True).start()
                return


class RankServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serve :func:`ndmatch.batch.score_chunk` for one loaded model over a Unix socket."""

    daemon_threads = True

    def __init__(self, matcher, socket_path: Path):
        self.matcher = matcher
        self.socket_path = _check_socket_path(socket_path)
        _claim_socket_path(self.socket_path)
        old_umask = os.umask(0o177)  # the socket file is created 0600
        try:
            super().__init__(str(self.socket_path), _Handler)
        finally:
            os.umask(old_umask)
        self.served = 0
        self._count_lock = threading.Lock()
        self.last_request = time.monotonic()

    def hello(self) -> dict:
        manifest = self.matcher.manifest
        return {"ok": True, "pid": os.getpid(), "model_dir": str(Path(self.matcher.path).resolve()),
                "version": manifest.get("version", ""), "program_ids": list(self.matcher.program_ids),
                "catalog": manifest["catalog"], "grades": manifest.get("grades")}

    def answer(self, request: dict) -> dict:
        """The reply to one request (``hello``, ``score_chunk`` or ``shutdown``); errors become replies."""
        from ndmatch.batch import score_chunk

        self.last_request = time.monotonic()
        op = request.get("op")
        try:
            if op == "hello":
                return self.hello()
            if op == "shutdown":
                return {"ok": True}
            if op == "score_chunk":
                items = [tuple(item) for item in request["items"]]
                result = score_chunk(self.matcher, items, int(request["top"]), request.get("target"),
                                     request.get("cache_dir"))
                with self._count_lock:
                    self.served += len(items)
                return {"ok": True, "result": result}
            return {"ok": False, "error": f"unknown request {op!r}"}
        except NdmatchError as exc:
            return {"ok": False, "error": str(exc)}
        except (KeyError, TypeError, ValueError) as exc:
            return {"ok": False, "error": f"bad {op} request ({exc!r})"}

    def stop_when_idle(self, seconds: float) -> threading.Thread:
        """Shut the server down once no request has come for ``seconds`` (a forgotten server frees its memory)."""

        def watch() -> None:
            while True:
                idle = time.monotonic() - self.last_request
                if idle >= seconds:
                    self.shutdown()
                    return
                time.sleep(min(seconds - idle, 30.0))

        thread = threading.Thread(target=watch, name="ndmatch-idle-watch", daemon=True)
        thread.start()
        return thread

    def server_close(self) -> None:
        super().server_close()
        try:
            self.socket_path.unlink()
        except FileNotFoundError:
            pass


def _claim_socket_path(path: Path) -> None:
    """Make ``path`` free for a new server: refuse a live server, remove a stale socket file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_socket():
        raise InputError(f"{path}: exists and is not a socket; remove it or pass another --socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # left by a server that was killed
        return
    finally:
        probe.close()
    raise InputError(f"{path}: an ndmatch server is already running there; stop it with "
                     f"`ndmatch serve --stop --socket {path}` or pass another --socket")


def start_server(matcher, socket_path: Path, warm_up: int = 1000,
                 progress: Callable[[str], None] = lambda message: None) -> RankServer:
    """Warm ``matcher`` (a loaded :class:`~ndmatch.matcher.Matcher`) up on ``warm_up`` bundled texts in a JVM
    tuned for a long-running process and bind the socket (not yet serving: call ``serve_forever``).

    The JVM keeps the options it started with: call :func:`ndmatch.jvm.start_jvm` with ``long_running=True``
    before anything tokenizes (loading a model does not; building one does).
    """
    from concurrent.futures import ThreadPoolExecutor

    from ndmatch.batch import default_jobs
    from ndmatch.jvm import start_jvm

    socket_path = _check_socket_path(socket_path)
    start_jvm(long_running=True)
    texts = warm_up_texts(warm_up)
    if texts:
        progress(f"warming up on {len(texts)} bundled proposals ...")
        chunks = [texts[i:i + 64] for i in range(0, len(texts), 64)]
        with ThreadPoolExecutor(max_workers=default_jobs()) as pool:
            list(pool.map(matcher.tokenizer.transform, chunks))
    else:
        matcher.tokenizer.tokenize("가")
    return RankServer(matcher, socket_path)


# -------------------------------------------------------------------------------------------------- client


@dataclass
class ServedModel:
    """What ``rank`` needs to know about the model a server holds (in place of a loaded matcher)."""

    path: Path
    manifest: dict
    programs: list[Program]
    program_ids: list[str]

    def program(self, program_id: str) -> Program:
        """The catalog entry ``program_id`` (raises a usage error listing known ids)."""
        return find_program(self.programs, program_id)


class ServerClient:
    """A connection per thread to the server at ``socket_path``."""

    def __init__(self, socket_path: Path):
        self.socket_path = _check_socket_path(socket_path)
        self._local = threading.local()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def _socket(self) -> socket.socket:
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.socket_path))
            except OSError as exc:
                sock.close()
                raise InputError(f"{self.socket_path}: no ndmatch server is running there ({exc.strerror}); "
                                 "start one with `ndmatch serve` or rank without --backend server") from None
            self._local.sock = sock
            with self._lock:
                self._sockets.append(sock)
        return sock

    def request(self, message: dict) -> dict:
        """Send ``message`` and return the server's reply, raising its error as :class:`InputError`."""
        sock = self._socket()
        try:
            send_message(sock, message)
            reply = receive_message(sock)
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.socket_path}: the ndmatch server failed ({exc}); "
                             "check its terminal, restart `ndmatch serve`") from None
        if reply is None:
            raise InputError(f"{self.socket_path}: the ndmatch server closed the connection; "
                             "check its terminal, restart `ndmatch serve`")
        if not reply.get("ok"):
            raise InputError(f"ndmatch server: {reply.get('error', 'unknown error')}")
        return reply

    def hello(self) -> ServedModel:
        """The model the server holds."""
        reply = self.request({"op": "hello"})
        manifest = {"version": reply["version"], "catalog": reply["catalog"], "program_ids": reply["program_ids"],
                    "grades": reply.get("grades")}
        return ServedModel(path=Path(reply["model_dir"]), manifest=manifest,
                           programs=[Program.from_dict(p) for p in reply["catalog"]],
                           program_ids=list(reply["program_ids"]))

    def score_chunk(self, items: list, top: int, target: int | None, cache_dir: str | None) -> list[tuple]:
        """:func:`ndmatch.batch.score_chunk`, run by the server."""
        reply = self.request({"op": "score_chunk", "items": items, "top": top, "target": target,
                              "cache_dir": cache_dir})
        return [tuple(row) for row in reply["result"]]

    def shutdown(self) -> None:
        """Ask the server to stop."""
        self.request({"op": "shutdown"})

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def connect(socket_path: Path | None, expected_model: Path | None) -> tuple[ServerClient, ServedModel]:
    """Connect to a running server and check it holds the model this command would use.

    ``expected_model`` is the ``--model`` value (``None``: the default store). Raises :class:`InputError`
    with the command to run when no server is running or it serves another model.
    """
    from ndmatch.persistence import default_model_root, resolve_model_dir

    client = ServerClient(socket_path or default_socket_path())
    served = client.hello()
    wanted = Path(resolve_model_dir(expected_model if expected_model is not None else default_model_root()))
    if wanted.resolve() != served.path:
        client.close()
        restart = "ndmatch serve" + (f" --model {expected_model}" if expected_model is not None else "")
        raise InputError(f"{client.socket_path}: the server holds model {served.path}, not {wanted.resolve()}; "
                         f"stop it (`ndmatch serve --stop`) and start `{restart}`")
    return client, served


def stop_server(socket_path: Path | None) -> int:
    """Ask the server at ``socket_path`` to stop; return its process id."""
    client = ServerClient(socket_path or default_socket_path())
    try:
        pid = int(client.request({"op": "hello"})["pid"])
        client.shutdown()
    finally:
        client.close()
    return pid
