// An Express app that logs every request with pino-http (one JSON line each, on stdout) and
// answers "logged": what a JavaScript server author's log holds for a signed request.
// Run by tests/data/pastes/capture.py: node log_requests.cjs PORT
const express = require("express");
const pinoHttp = require("pino-http");

const app = express();
app.use(pinoHttp());
app.get("/api/whoami", (request, response) => {
  response.send("logged");
});
app.listen(Number(process.argv[2]), "127.0.0.1");
