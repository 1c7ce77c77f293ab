fetch("http://127.0.0.1:18200/api/whoami?from=chromium", {
  "headers": {
    "accept": "*/*",
    "accept-language": "en-US,en;q=0.9",
    "content-digest": "sha-256=:k6I5cakU5erL8KjSUVTNownDwccvu5kU1Hxg88toFYg=:",
    "content-type": "application/json",
    "sec-ch-ua": "\"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"",
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": "\"Linux\"",
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
    "signature": "eth=:dTzf8tosn8Qc+HFGyoUcS+Cst6c65E0qMMrlGIR9xsgPiMG32APl3T2FD4rjGraKlv3+ahdtIEsgV2vBdVVjhBw=:",
    "signature-input": "eth=(\"@scheme\" \"@authority\" \"@method\" \"@path\" \"@query\" \"content-digest\" \"content-type\");created=1796539111;expires=1796539171;nonce=\"luGooOOUSSVyySvCHgw2OQ\";keyid=\"eip155:1:0xdda1d91f4d248c084323bf75bcb2d9229479565e\";tag=\"erc8128\""
  },
  "referrerPolicy": "strict-origin-when-cross-origin",
  "body": "{\"hello\":\"world\"}",
  "method": "POST",
  "mode": "cors",
  "credentials": "omit"
});
