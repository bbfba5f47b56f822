"""`kinko verification …`: run the face matcher on files (for engineers checking thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from kinko.clihelpers import DATABASE_URL_OPTION, both

app = typer.Typer(help=both("ご利用者さま確認（顔照合）"),
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


@app.command("register-face")
def register_face(
    customer_number: str = typer.Argument(..., help=both("顧客番号")),
    photo: Path = typer.Argument(..., help="the identity document's photo (JPEG/PNG)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Register the identity document's face checked at account opening (KYC-3); later
    selfies are matched against it. Exit 2 for an unreadable photo or one without a face."""
    from sqlalchemy import select

    from kinko.clihelpers import database
    from kinko.errors import DomainError
    from kinko.parties.models import Customer
    from kinko.policy import current_policy
    from kinko.verification.capture import check_face
    from kinko.verification.service import register_document_face

    data = _read_or_exit(photo)
    try:
        check_face(data, current_policy().kyc)
    except DomainError as exc:
        typer.echo(f"{exc.message_ja} / {exc.message_en}", err=True)
        raise typer.Exit(2) from exc

    def run(s: Session) -> int:
        customer_id = s.execute(select(Customer.id).where(
            Customer.number == customer_number)).scalar_one_or_none()
        if customer_id is None:
            raise typer.BadParameter(f"no customer {customer_number}")
        return register_document_face(s, customer_id=customer_id, photo=data,
                                      actor="cli:verification", source="cli")

    image_id = database(database_url).run(run)
    typer.echo(f"registered document face {image_id} for {customer_number}")


@app.command("sweep")
def sweep_command(
    at: str | None = typer.Option(None, "--at", help="run as of this moment (ISO, JST)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Mark individuals due, close cases past their deadline, delete expired images (also
    part of `kinko batch run`)."""
    from kinko.clihelpers import database, moment
    from kinko.verification.jobs import sweep

    report = sweep(database(database_url), moment(at))
    typer.echo(f"due {report.due}, overdue {report.overdue}, "
               f"images deleted {report.images_deleted}")


def _read_or_exit(path: Path) -> bytes:
    from kinko.verification.errors import UnreadableImage

    try:
        return _read(path)
    except UnreadableImage as exc:
        typer.echo(f"{exc.message_ja} / {exc.message_en} ({exc.detail})", err=True)
        raise typer.Exit(2) from exc
