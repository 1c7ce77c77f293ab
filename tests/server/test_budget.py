"""The budgets' client key: IPv4 as is, IPv6 by its /64 (decision D77)."""

import pytest

from erc8128.server.budget import client_key


@pytest.mark.parametrize("address, key", [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("fe80::1%eth0", "fe80::/64"),
    ("/run/erc8128.sock", "/run/erc8128.sock"),
])
def test_ipv6_clients_are_grouped_by_their_64(address: str, key: str) -> None:
    assert client_key(address) == key
