"""Configuration errors of ``erc8128 serve`` (issue 11, finding 11; decision D38): each exits 2
with ONE line on stderr and no traceback, before serving; a good configuration starts and warns
once that memory-only app state is lost on restart."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SERVE = [sys.executable, "-m", "erc8128", "serve"]


def serve(*args: str, env: dict[str, str] | None = None, timeout: float = 15
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVE, *args], check=False, capture_output=True, text=True,
                          timeout=timeout,
                          env=env if env is not None else dict(os.environ))


def assert_config_error(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"erc8128 serve: {reason}: "), lines[0]
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout


@pytest.mark.parametrize(("args", "reason"), [
    (("--port", "70000"), "port_invalid"),
    (("--port", "-1"), "port_invalid"),
    (("--host", "a b"), "listen_failed"),
    (("--host", "256.1.1.1"), "listen_failed"),
    (("--db", "/nonexistent-erc8128-dir/app.db"), "db_invalid"),
    (("--nonces", "bogus"), "nonces_invalid"),
    (("--nonces", "sqlite:/nonexistent-erc8128-dir/nonces.db"), "nonces_invalid"),
    (("--backend", "nope"), "backend_unknown"),
    (("--max-validity", "0"), "policy_invalid"),
    (("--public-url", "http://a.example/path"), "public_url_invalid"),
    (("--tls-cert", "/nonexistent.pem"), "tls_invalid"),
])
def test_configuration_error_is_one_line_and_exit_2(args: tuple[str, ...], reason: str) -> None:
    assert_config_error(serve(*args), reason)


def test_db_naming_a_directory_is_refused(tmp_path: Path) -> None:
    assert_config_error(serve("--db", str(tmp_path)), "db_invalid")


def test_port_in_use_is_refused() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_config_error(serve("--port", str(port)), "listen_failed")


def test_unknown_backend_in_the_environment_is_refused_at_start() -> None:
    # Before D38 this started, then answered 500 to every signed request.
    env = dict(os.environ, ERC8128_BACKEND="not-a-backend")
    assert_config_error(serve("--port", "0", env=env), "backend_unknown")


def test_missing_accelerator_is_refused_at_start(tmp_path: Path) -> None:
    # A coincurve that cannot be imported stands for an uninstalled one.
    (tmp_path / "coincurve.py").write_text("raise ImportError('not installed (test)')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    assert_config_error(serve("--port", "0", "--backend", "coincurve", env=env),
                        "backend_not_installed")


def test_good_configuration_starts_and_warns_that_memory_state_is_lost() -> None:
    process = subprocess.Popen([*SERVE, "--port", "0", "--quiet", "--backend", "pure"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        assert "listening on" in process.stdout.readline()
        warning = process.stderr.readline()
        assert warning.startswith("erc8128 serve: warning: no --db:"), warning
        assert "lost" in warning
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_db_file_gives_no_warning(tmp_path: Path) -> None:
    process = subprocess.Popen([*SERVE, "--port", "0", "--quiet", "--db",
                                str(tmp_path / "app.db")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "warning: no --db" not in err
    assert (tmp_path / "app.db").exists()
