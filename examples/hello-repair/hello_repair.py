"""An example VoxNode service: listens on $PORT, answers /health and POST /v1/repair."""

import json
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(os.environ["GLOSSARY"], encoding="utf-8") as handle:
    GLOSSARY = [line.rstrip("\n").split("\t") for line in handle if "\t" in line]


def repair(text):
    diff, out = [], text
    for wrong, right in GLOSSARY:
        pattern = re.compile(r"\b" + re.escape(wrong) + r"\b", re.IGNORECASE)
        for match in pattern.finditer(out):
            diff.append({"from": match.group(0), "to": right, "position": match.start()})
        out = pattern.sub(right, out)
    return out, diff


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "warmed": WARMED, "detail": {"glossary": len(GLOSSARY)}})
        else:
            self.reply(404, {"error": {"code": "NOT_FOUND", "category": "bad_input", "message": self.path}})

    def do_POST(self):
        if self.path != "/v1/repair":
            self.reply(404, {"error": {"code": "NOT_FOUND", "category": "bad_input", "message": self.path}})
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            text = request["text_in"]
        except (ValueError, KeyError):
            self.reply(400, {"error": {"code": "BAD_REQUEST", "category": "bad_input", "message": "text_in"}})
            return
        fixed, diff = repair(text)
        self.reply(200, {
            "decision": "REPAIR" if diff else "PASS",
            "text_out": fixed if diff else text,
            "confidence": 0.9 if diff else 1.0,
            "reason_codes": ["GLOSSARY_FIX"] if diff else [],
            "diff": diff,
            "process_time_ms": 0.1,
        })


WARMED = repair("teh test")[0] == "the test"  # one real repair through the same code path
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
