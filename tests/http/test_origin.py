"""erc8128.http.origin: the trusted public URL, parsed once and strictly, for every verifier."""

import pytest

from erc8128.http.origin import InvalidOrigin, Origin, parse_origin
from erc8128.integrations.gate import Gate


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://api.example", Origin("https", "api.example")),
        ("https://API.Example:443/", Origin("https", "api.example")),
        ("HTTP://localhost:8080", Origin("http", "localhost:8080")),
        ("http://[::1]:8080", Origin("http", "[::1]:8080")),
    ],
)
def test_an_origin_is_normalised_as_rfc_9421_derives_it(public_url: str, expected: Origin) -> None:
    origin = parse_origin(public_url)
    assert origin == expected
    assert origin.target_uri("/a?b") == f"{expected.scheme}://{expected.authority}/a?b"


@pytest.mark.parametrize(
    "public_url",
    [
        "https://api.example/v1",  # a path would silently vanish from @path
        "https://api.example/?x=1",
        "https://api.example#top",
        "https://user@api.example",
        "ftp://api.example",
        "https://",
        "api.example",
        "https://a b",
    ],
)
def test_anything_but_an_origin_is_refused(public_url: str) -> None:
    with pytest.raises(InvalidOrigin) as caught:
        parse_origin(public_url)
    assert caught.value.reason == "public_url_invalid"
    assert repr(public_url) in caught.value.message


def test_gate_refuses_a_public_url_with_a_path() -> None:
    # Gate used to cut "https://api.example/v1" down to its origin and verify on.
    with pytest.raises(InvalidOrigin):
        Gate("https://api.example/v1")
    assert Gate("https://api.example/").origin == Origin("https", "api.example")
