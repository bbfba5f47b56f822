"""A local face-matching vendor that speaks the vendor protocol (kinko.verification.vendor):
it checks the request's signature, matches with dlib and signs its answer. ``mode`` makes it
misbehave the ways a real one or an attacker in between could."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from kinko.verification import images
from kinko.verification.dlib_matcher import largest_face
from kinko.verification.vendor import (
    PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_valid,
    signed_headers,
)


@dataclass
class FakeVendor:
    key: bytes
    mode: str = "honest"  # honest | wrong-key | other-request | unsigned | fixed-same
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, payload: dict[str, Any]) -> dict[str, Any]:
        faces = {side: largest_face(images.decode(base64.b64decode(payload[f"{side}_image"])),
                                    describe=True)
                 for side in ("document", "selfie")}
        distance = None
        if all(f is not None for f in faces.values()):
            a, b = faces["document"], faces["selfie"]
            assert a is not None and b is not None
            assert a.descriptor is not None and b.descriptor is not None
            distance = float(np.linalg.norm(a.descriptor - b.descriptor))
        if self.mode == "fixed-same":
            distance = 0.1
        return {"request_id": payload["request_id"] if self.mode != "other-request" else "x",
                "document": _face(faces["document"]), "selfie": _face(faces["selfie"]),
                "distance": distance}


def _face(face: Any) -> dict[str, Any]:
    return {"face_found": face is not None, "face_size_px": face.side_px if face else 0}


def _handler(vendor: FakeVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != PATH:
                self._send(404, b"{}", sign=False)
                return
            if not signature_valid(vendor.key, self.headers.get(TIMESTAMP_HEADER),
                                   self.headers.get(SIGNATURE_HEADER), body, time.time()):
                self._send(401, b'{"error": "bad signature"}', sign=False)
                return
            payload = json.loads(body)
            vendor.requests.append(payload)
            self._send(200, json.dumps(vendor.answer(payload)).encode(),
                       sign=vendor.mode != "unsigned")

        def _send(self, status: int, body: bytes, *, sign: bool) -> None:
            self.send_response(status)
            key = b"another-key" if vendor.mode == "wrong-key" else vendor.key
            headers = signed_headers(key, body, time.time()) if sign else \
                {"Content-Type": "application/json"}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_vendor(key: bytes) -> Iterator[FakeVendor]:
    vendor = FakeVendor(key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(vendor))
    vendor.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield vendor
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
