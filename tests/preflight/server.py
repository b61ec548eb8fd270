"""A local stand-in for the APIs preflight reads, on 127.0.0.1: it answers with the
documented responses in ``responses/`` (values set per account) and records every
request, so tests can check that preflight only ever read."""

from __future__ import annotations

import copy
import json
import threading
import xml.sax.saxutils
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESPONSES = Path(__file__).parent / "responses"


def response(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


def listed(item: str, names: list[str], key: str = "name") -> dict[str, Any]:
    """A Cloudflare list answer: the documented item, once per name."""
    template = response(item)
    return {
        "errors": [],
        "messages": [],
        "success": True,
        "result": [{**copy.deepcopy(template), key: name} for name in names],
    }


@dataclass
class Account:
    """What one set of accounts answers. ``json`` maps a path to its JSON body."""

    json: dict[str, Any]
    denied_actions: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, str]] = field(default_factory=list)

    def simulate(self, form: dict[str, list[str]]) -> str:
        """SimulatePrincipalPolicy: the documented answer, one member per action asked."""
        document = (RESPONSES / "iam-simulate-principal-policy.xml").read_text()
        head, _, rest = document.partition("<EvaluationResults>")
        member, _, tail = rest.partition("</EvaluationResults>")
        head, tail = f"{head}<EvaluationResults>", f"</EvaluationResults>{tail}"
        resource = form["ResourceArns.member.1"][0]
        actions = [v[0] for k, v in sorted(form.items()) if k.startswith("ActionNames.member.")]
        members = "".join(
            member.replace("RESOURCE", xml.sax.saxutils.escape(resource))
            .replace("ACTION", action)
            .replace("DECISION", "implicitDeny" if action in self.denied_actions else "allowed")
            for action in actions
        )
        return head + members + tail


class _Handler(BaseHTTPRequestHandler):
    account: Account

    def log_message(self, *_args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: str, kind: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.account.requests.append(("GET", path, self.headers.get("Authorization", "")))
        if path in self.account.json:
            self._send(200, json.dumps(self.account.json[path]), "application/json")
        else:
            self._send(
                404, json.dumps({"success": False, "errors": [{"code": 7003}]}), "application/json"
            )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        action = form.get("Action", [""])[0]
        self.account.requests.append(("POST", action, self.headers.get("Authorization", "")))
        if action == "GetCallerIdentity":
            self._send(200, (RESPONSES / "sts-get-caller-identity.xml").read_text(), "text/xml")
        elif action == "SimulatePrincipalPolicy":
            self._send(200, self.account.simulate(form), "text/xml")
        else:
            self._send(400, "<Error><Code>InvalidAction</Code></Error>", "text/xml")


@contextmanager
def serving(account: Account) -> Iterator[str]:
    """The account's APIs at http://127.0.0.1:<port>, for as long as the block runs."""
    handler = type("Handler", (_Handler,), {"account": account})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
