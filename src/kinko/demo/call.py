"""`kinko demo call FROM_NUMBER`: the local telephony simulator. It sends the webhook a real
provider would send — correctly signed — for a call from FROM_NUMBER to the bank's number."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import typer

from kinko import clock
from kinko.clihelpers import both, fail, say


def call(
    from_number: str = typer.Argument(..., help=both("発信元の電話番号")),
    to: str | None = typer.Option(None, "--to", help=both("着信番号")),
    url: str = typer.Option("http://127.0.0.1:8000", "--url", help="Kinko's base URL"),
) -> None:
    """電話認証の着信を送る / report a call from FROM_NUMBER to the bank (AUTH-4)."""
    from kinko.auth.models import Product
    from kinko.auth.phone import sign
    from kinko.auth.policy import rules_for

    digits = "".join(ch for ch in from_number if ch.isdigit() or ch == "+")
    if len(digits) < 10:
        fail(f"not a phone number: {from_number!r}")
    callee = to or rules_for(Product.RETAIL_001).phone_call_number
    body = json.dumps({"event_id": uuid.uuid4().hex, "caller": digits, "callee": callee,
                       "called_at": clock.now().isoformat()}).encode()
    if not url.startswith(("http://", "https://")):
        fail(f"not an http(s) URL: {url!r}")
    stamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url.rstrip("/") + "/api/v1/telephony/calls", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Kinko-Timestamp": str(stamp),
                 "X-Kinko-Signature": sign(body, stamp)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        fail(f"Kinko refused the call report ({exc.code}): {exc.read().decode()[:300]}", 1)
    except OSError as exc:
        fail(f"cannot reach {url}: {exc}")
    typer.echo(say("着信を通知しました: 認証完了" if answer.get("matched")
                   else "着信を通知しました: 該当する認証待ちはありません"))
