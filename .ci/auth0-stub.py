"""A loopback stand-in for Auth0's token endpoint, for CI: client
credentials `ci-client`/`ci-secret` with audience `ci-audience` get the
sandbox's token `tok-acme`; anything else is refused as Auth0 refuses it.
Prints its base URL, then serves until killed."""
import http.server
import json
import urllib.parse


class TokenEndpoint(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length).decode()
        if "json" in self.headers.get("content-type", ""):
            form = json.loads(body or "{}")
        else:
            form = dict(urllib.parse.parse_qsl(body))
        granted = (
            self.path == "/oauth/token"
            and form.get("grant_type") == "client_credentials"
            and form.get("client_id") == "ci-client"
            and form.get("client_secret") == "ci-secret"
            and form.get("audience") == "ci-audience"
        )
        if granted:
            status = 200
            answer = {"access_token": "tok-acme", "token_type": "Bearer", "expires_in": 86400}
        else:
            status = 401
            answer = {"error": "invalid_client", "error_description": "Unauthorized"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), TokenEndpoint)
print(f"http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
