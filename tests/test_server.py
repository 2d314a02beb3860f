"""The warm ranking process (`ndmatch serve`) and `rank --backend server`."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ndmatch import server
from ndmatch.batch import rank_batch
from ndmatch.cli import cli
from ndmatch.errors import InputError

from test_batch import TEXTS, read_csv, write_csv


@pytest.fixture()
def short_dir():
    """A folder with a short path: a Unix socket path must fit in 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="nds-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def running(small_matcher, short_dir):
    """A server for the small model, serving from a thread of this process."""
    rank_server = server.start_server(small_matcher, short_dir / "s.sock", warm_up=20)
    thread = threading.Thread(target=rank_server.serve_forever, daemon=True)
    thread.start()
    yield rank_server
    rank_server.shutdown()
    rank_server.server_close()
    thread.join(5)


@pytest.fixture()
def table(tmp_path):
    rows = [["id", "text", "담당"]] + [[f"p{i}", TEXTS[i % 4] + f" {i}차", f"과{i}"] for i in range(40)]
    rows.append(["empty", "", "과X"])
    return write_csv(tmp_path / "in.csv", rows)


def invoke(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_server_backend_output_is_identical_to_threads(running, small_model, table, tmp_path):
    threads = invoke(["rank", str(table), "--model", str(small_model), "--out", str(tmp_path / "t.csv"),
                      "--program", "D07", "--no-cache", "--quiet"])
    served = invoke(["rank", str(table), "--model", str(small_model), "--out", str(tmp_path / "s.csv"),
                     "--program", "D07", "--no-cache", "--quiet", "--backend", "server",
                     "--socket", str(running.socket_path)])
    assert threads.exit_code == served.exit_code == 0, served.output
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "t.csv").read_bytes()
    rows = read_csv(tmp_path / "s.csv")
    assert len(rows) == 40 and rows[0]["program_1"] and rows[0]["담당"]
    assert "1 skipped" in served.stderr and "empty" in served.stderr
    assert running.served == 41


def test_socket_is_private_and_removed_on_close(small_matcher, short_dir):
    rank_server = server.start_server(small_matcher, short_dir / "s.sock", warm_up=0)
    mode = stat.S_IMODE(os.stat(rank_server.socket_path).st_mode)
    assert mode & 0o077 == 0, oct(mode)
    rank_server.server_close()
    assert not rank_server.socket_path.exists()


def test_stale_socket_is_replaced_and_live_one_refused(running, small_model, short_dir):
    with pytest.raises(InputError, match="already running"):
        server.RankServer(running.matcher, running.socket_path)
    stale = short_dir / "stale.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))
    dead.close()  # the file stays, nobody listens: what a killed server leaves
    replacement = server.RankServer(running.matcher, stale)
    replacement.server_close()
    regular = short_dir / "file.sock"
    regular.write_text("x")
    with pytest.raises(InputError, match="not a socket"):
        server.RankServer(running.matcher, regular)


def test_no_server_is_one_line_error(small_model, table, short_dir):
    result = invoke(["rank", str(table), "--model", str(small_model), "--backend", "server",
                     "--socket", str(short_dir / "none.sock")])
    assert result.exit_code == 1
    assert "no ndmatch server is running" in result.stderr and result.stderr.count("\n") == 1


def test_server_holding_another_model_is_refused(running, small_corpus, table, tmp_path):
    from ndmatch import api

    other = tmp_path / "other"
    api.train(corpus_dir=small_corpus, model_root=other, cross_validate=False)
    result = invoke(["rank", str(table), "--model", str(other), "--backend", "server",
                     "--socket", str(running.socket_path)])
    assert result.exit_code == 1
    assert "the server holds model" in result.stderr and "ndmatch serve --model" in result.stderr


def test_socket_only_with_server_backend(small_model, table, short_dir):
    result = invoke(["rank", str(table), "--model", str(small_model), "--socket", str(short_dir / "s.sock")])
    assert result.exit_code == 2 and "--socket is only used with --backend server" in result.stderr


def test_bad_requests_get_errors_and_the_server_keeps_serving(running):
    client = server.ServerClient(running.socket_path)
    with pytest.raises(InputError, match="unknown request"):
        client.request({"op": "format-disk"})
    with pytest.raises(InputError, match="bad score_chunk request"):
        client.request({"op": "score_chunk", "items": [["x", "text", None, None]]})  # no "top"
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(str(running.socket_path))
    raw.sendall(b"\x00\x00\x00\x05{oops")
    reply = server.receive_message(raw)
    raw.close()
    assert reply is not None and not reply["ok"] and "bad request" in reply["error"]
    assert client.hello().program_ids == running.matcher.program_ids
    client.close()


def test_library_rank_through_a_client(running, small_matcher, table, tmp_path):
    client, served = server.connect(running.socket_path, running.matcher.path.parent)
    result = rank_batch(served, table, out=tmp_path / "s.jsonl", backend="server", server=client, use_cache=False)
    client.close()
    rank_batch(small_matcher, table, out=tmp_path / "t.jsonl", use_cache=False)
    assert result.portfolio.ranked == 40 and result.portfolio.skipped == 1
    assert (tmp_path / "s.jsonl").read_bytes() == (tmp_path / "t.jsonl").read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12), max_size=5))
def test_framing_round_trips_any_json_object(message):
    left, right = socket.socketpair()
    with left, right:
        server.send_message(left, message)
        assert server.receive_message(right) == message


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=64))
def test_framing_rejects_garbage_with_value_errors_only(data):
    left, right = socket.socketpair()
    with left, right:
        left.sendall(data)
        left.shutdown(socket.SHUT_WR)
        try:
            server.receive_message(right)
        except (ValueError, UnicodeDecodeError):
            pass


def test_serve_command_runs_and_stops(small_model, table, short_dir):
    sock = short_dir / "cli.sock"
    env = dict(os.environ)
    with subprocess.Popen([sys.executable, "-m", "ndmatch", "serve", "--model", str(small_model),
                           "--socket", str(sock), "--warm-up", "5"], env=env, cwd=short_dir,
                          stderr=subprocess.PIPE, text=True) as process:  # cwd: import the installed ndmatch
        try:
            _serve_and_stop(process, sock, small_model, table)
        finally:
            if process.poll() is None:
                process.kill()


def _serve_and_stop(process, sock, small_model, table):
    deadline = time.monotonic() + 120
    while not sock.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sock.exists(), process.communicate()[1] if process.poll() is not None else "server did not start"
    result = invoke(["rank", str(table), "--model", str(small_model), "--backend", "server",
                     "--socket", str(sock), "--quiet"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 41
    stopped = invoke(["serve", "--stop", "--socket", str(sock)])
    assert stopped.exit_code == 0 and f"process {process.pid}" in stopped.stderr
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "server stopped after 41 proposals" in err
    assert not sock.exists()


def test_idle_server_stops_by_itself(small_matcher, short_dir):
    rank_server = server.start_server(small_matcher, short_dir / "idle.sock", warm_up=0)
    rank_server.stop_when_idle(0.5)
    thread = threading.Thread(target=rank_server.serve_forever, daemon=True)
    thread.start()
    client = server.ServerClient(rank_server.socket_path)
    assert client.hello().program_ids  # a request resets the clock
    client.close()
    thread.join(10)
    assert not thread.is_alive()
    rank_server.server_close()
    assert not rank_server.socket_path.exists()
