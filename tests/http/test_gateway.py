"""erc8128.http.gateway: the request-target and header fields read from an ASGI scope or a WSGI
environ, as the middleware and the inspector read them."""

from erc8128.http.gateway import asgi_request_target, wsgi_header_columns, wsgi_request_target


def test_request_target_reconstruction() -> None:
    assert wsgi_request_target({"RAW_URI": "/a%2Fb?x=1", "PATH_INFO": "/a/b"}) == "/a%2Fb?x=1"
    assert wsgi_request_target(
        {"PATH_INFO": "/caf\xc3\xa9 x", "QUERY_STRING": "q=1", "SCRIPT_NAME": "/app"}
    ) == "/app/caf%C3%A9%20x?q=1"
    assert asgi_request_target({"raw_path": b"/a%2Fb", "query_string": b"x=1"}) == "/a%2Fb?x=1"
    assert asgi_request_target({"path": "/é", "query_string": b""}) == "/%C3%A9"


def test_wsgi_header_fields_are_the_http_and_content_meta_variables() -> None:
    environ = {"HTTP_SIGNATURE_INPUT": "a", "CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "",
               "HTTP_X_NOT_TEXT": 5, "SERVER_NAME": "x", "wsgi.input": object()}
    assert wsgi_header_columns(environ) == (["Signature-Input", "Content-Type"],
                                            ["a", "text/plain"])
