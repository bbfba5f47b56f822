"""`kinko verification …`: run the face matcher on files (for engineers checking thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="ご利用者さま確認（顔照合） / periodic user verification by face",
                  no_args_is_help=True)


@app.command("match")
def match(
    document_photo: Path = typer.Argument(..., help="the identity document's photo (JPEG/PNG)"),
    selfie: Path = typer.Argument(..., help="the selfie to compare with it (JPEG/PNG)"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Match two photos with the built-in offline matcher and the policy's thresholds.

    Exit code 0 whatever the outcome; 2 when a file cannot be read as an image."""
    from kinko.policy import current_policy
    from kinko.verification.dlib_matcher import DlibMatcher
    from kinko.verification.errors import UnreadableImage
    from kinko.verification.rules import Thresholds

    thresholds = Thresholds.of(current_policy().kyc)
    try:
        result = DlibMatcher().match(_read(document_photo), _read(selfie), thresholds)
    except UnreadableImage as exc:
        typer.echo(f"{exc.message_ja} / {exc.message_en} ({exc.detail})", err=True)
        raise typer.Exit(2) from exc
    if json_output:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    distance = "-" if result.distance is None else f"{result.distance:.4f}"
    typer.echo(f"outcome: {result.outcome.value}")
    typer.echo(f"distance: {distance}")
    typer.echo(f"thresholds: same_person ≤ {thresholds.accept_max:.3f}, "
               f"different_person > {thresholds.reject_above:.3f}, review between; "
               f"minimum face {thresholds.min_face_px} px")
    if result.reason:
        typer.echo(f"reason: {result.reason}: {result.message_ja} / {result.message_en}")


def _read(path: Path) -> bytes:
    from kinko.verification.errors import UnreadableImage

    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"{path}: {exc.strerror}") from exc
