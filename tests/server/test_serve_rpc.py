"""`erc8128 serve --rpc eip155:<id>=<url>`: the server verifies through a real chain (anvil) and
advertises the served chains; a node on the wrong chain or a served chain without a node is a
configuration error at start-up, never a silent local fallback."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from erc8128.chain.jsonrpc import RpcConfigError
from erc8128.chain.rpc import RpcAccountState
from erc8128.cli import build_parser, main
from erc8128.cli.serve_cli import config_from_args
from erc8128.errors import ConfigError
from erc8128.server.lifecycle import ServerConfig, start_server
from tests.support.anvil import Anvil
from tests.support.demo_client import Agent, send, send_request
from tests.support.draft_fixture import CASES, NOW


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    node = Anvil()
    node.start()
    try:
        yield node
    finally:
        node.stop()
        node.cleanup()


def test_server_verifies_through_the_chain(anvil: Anvil) -> None:
    config = ServerConfig(port=0, rpc=(("eip155:1", anvil.url),))
    assert isinstance(config.accounts(), RpcAccountState)
    with start_server(config) as server:
        agent = Agent("rpc-agent")
        reply = send_request(server.bound_url, agent.sign(server.url, "GET", "/api/whoami").request)
        assert reply.status == 200, reply.body
        assert reply.json()["address"] == agent.address
        discovery = send(server.bound_url, "GET", "/.well-known/erc8128").json()
        assert discovery["chains"] == ["eip155:1"]


def test_unserved_chain_is_refused_with_the_served_chains(anvil: Anvil) -> None:
    with start_server(ServerConfig(port=0, rpc=(("eip155:1", anvil.url),))) as server:
        signed = Agent("rpc-agent-2").sign(server.url, "GET", "/api/whoami", chain_id=10)
        reply = send_request(server.bound_url, signed.request)
        assert reply.status == 401
        assert reply.header("WWW-Authenticate") == (
            'ERC8128 error="unsupported_chain", chains="eip155:1"'
        )


def test_node_on_another_chain_is_a_start_up_error(anvil: Anvil) -> None:
    with pytest.raises(RpcConfigError) as info:
        ServerConfig(port=0, chains=(5,), rpc=(("eip155:5", anvil.url),)).accounts()
    assert info.value.reason == "rpc_config"
    assert "expected chain id 5, got 1" in info.value.message


def test_served_chain_without_a_node_is_a_configuration_error(anvil: Anvil) -> None:
    with pytest.raises(ConfigError) as info:
        ServerConfig(port=0, chains=(1, 10), rpc=(("eip155:1", anvil.url),)).accounts()
    assert info.value.reason == "rpc_invalid"


def test_cli_served_chains_default_to_the_rpc_chains() -> None:
    args = build_parser().parse_args(
        ["serve", "--rpc", "eip155:8453=http://127.0.0.1:1", "--rpc", "eip155:1=http://127.0.0.1:2"]
    )
    config = config_from_args(args)
    assert config.chains == (1, 8453)
    assert dict(config.rpc) == {"eip155:8453": "http://127.0.0.1:1", "eip155:1": "http://127.0.0.1:2"}
    with pytest.raises(ConfigError):
        config_from_args(build_parser().parse_args(["serve", "--rpc", "eip155:1"]))


def test_inspect_with_rpc_classifies_the_account_on_the_chain(
    anvil: Anvil, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vector = tmp_path / "positive.http"
    vector.write_text(CASES["positive"]["request"]["http_block_as_displayed"])
    status = main(["inspect", str(vector), "--now", str(NOW), "--public-url",
                   "https://api.example", "--rpc", f"eip155:1={anvil.url}"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "account verification: eoa (1 code lookup(s))" in out
