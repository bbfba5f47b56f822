"""The adapter for an external face-matching vendor (KYC-5; the seed's bank uses Liquid Inc.).

The protocol (docs/verification.md, "Vendor API"): ``POST {base}/v1/face-matches`` with a
JSON body ``{"request_id", "document_image", "selfie_image"}`` (images base64), signed with the
shared key: header ``X-Signature-Timestamp`` (Unix seconds) and ``X-Signature`` =
hex HMAC-SHA256 over ``"{timestamp}\\n{body}"``. The vendor answers 200 with JSON
``{"request_id", "document": {"face_found", "face_size_px"}, "selfie": {...}, "distance"}``,
signed the same way over its own body. The adapter refuses an answer that is unsigned, signed
with another key, too old, or about another request: a forged "same person" must not pass.

Only the distance comes from the vendor; the outcome bands and the minimum face size are the
bank's policy, applied here as for the built-in matcher.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from kinko.verification.errors import MatcherUnavailable
from kinko.verification.matching import MatchResult
from kinko.verification.rules import Thresholds

PATH = "/v1/face-matches"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_HEADER = "X-Signature"
# Transport freshness, on the machines' real clocks (not kinko.clock, which tests and the
# demo move): an answer signed more than this far from now is a replay.
MAX_SKEW_S = 300


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signature_valid(key: bytes, timestamp: str | None, sig: str | None, body: bytes,
                    now: float) -> bool:
    if not timestamp or not sig or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(signature(key, timestamp, body), sig)


def signed_headers(key: bytes, body: bytes, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(key, timestamp, body)}


class VendorMatcher:
    name = "vendor"

    def __init__(self, base_url: str, key: bytes, timeout_s: float = 10.0) -> None:
        if not base_url or not key:
            raise MatcherUnavailable("the vendor's URL or key is not configured "
                                     "(KINKO_FACE_VENDOR_URL, KINKO_FACE_VENDOR_KEY)")
        if not base_url.startswith(("https://", "http://")):
            raise MatcherUnavailable("the vendor's URL must be http(s)")
        self.url = base_url.rstrip("/") + PATH
        self.key = key
        self.timeout_s = timeout_s

    def match(self, document: bytes, selfie: bytes, thresholds: Thresholds) -> MatchResult:
        request_id = str(uuid.uuid4())
        body = json.dumps({"request_id": request_id,
                           "document_image": base64.b64encode(document).decode(),
                           "selfie_image": base64.b64encode(selfie).decode()}).encode()
        answer = self._post(body)
        return self._result(answer, request_id, thresholds)

    def _post(self, body: bytes) -> dict[str, Any]:
        # S310: the URL is the configured vendor's, checked to be http(s) in __init__.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, method="POST",
            headers=signed_headers(self.key, body, time.time()))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                raw = response.read()
                ts = response.headers.get(TIMESTAMP_HEADER)
                sig = response.headers.get(SIGNATURE_HEADER)
        except urllib.error.HTTPError as exc:
            raise MatcherUnavailable(f"vendor answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise MatcherUnavailable(f"vendor unreachable: {exc}") from exc
        if not signature_valid(self.key, ts, sig, raw, time.time()):
            raise MatcherUnavailable("vendor answer has no valid signature")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise MatcherUnavailable("vendor answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise MatcherUnavailable("vendor answer is not a JSON object")
        return answer

    def _result(self, answer: dict[str, Any], request_id: str,
                thresholds: Thresholds) -> MatchResult:
        if answer.get("request_id") != request_id:
            raise MatcherUnavailable("vendor answer is about another request")
        try:
            for side in ("document", "selfie"):
                face = answer[side]
                if not face["face_found"]:
                    return MatchResult.no_face(f"no_face_in_{side}", thresholds, self.name)
                if int(face["face_size_px"]) < thresholds.min_face_px:
                    return MatchResult.no_face(f"face_too_small_in_{side}", thresholds,
                                               self.name)
            distance = float(answer["distance"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MatcherUnavailable(f"vendor answer malformed: {exc!r}") from exc
        if not 0.0 <= distance <= 4.0:
            raise MatcherUnavailable(f"vendor distance out of range: {distance}")
        return MatchResult.measured(distance, thresholds, self.name)
