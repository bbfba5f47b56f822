"""`kinko keys …`: generate, check and rotate the bank's secret key (see :mod:`kinko.keys`)."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail, say

app = typer.Typer(help=both("秘密鍵"), no_args_is_help=True)


@app.command()
def generate() -> None:
    """Print a new random secret key (for KINKO_SECRET_KEY)."""
    from kinko.keys import generate as new_key

    typer.echo(new_key())


@app.command()
def check() -> None:
    """Check the configured keys as `kinko serve` does: exit 0 when fit, 2 otherwise."""
    from kinko.keys import keyring, serving_problems

    problems = serving_problems()
    if problems:
        fail("; ".join(problems))
    ring = keyring()
    typer.echo(say("秘密鍵（{source}）: 正常。以前の鍵 {previous} 件", source=ring.source,
                   previous=len(ring.previous)))


@app.command()
def reencrypt(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Move everything made under a previous key (KINKO_SECRET_KEY_PREVIOUS) to the current
    key: re-encrypt TOTP seeds (customers' and operators'), card grids, CA keys and face
    images, and
    re-link the verified audit chain. Afterwards the previous keys can be removed."""
    from kinko.audit.service import ChainBroken, reseal
    from kinko.auth.crypto import DecryptionFailed
    from kinko.auth.rekey import reencrypt_all
    from kinko.backoffice.operators import reencrypt_seeds
    from kinko.verification.service import reencrypt_images
    from kinko.verification.vault import ImageUndecryptable

    def run(s: Session) -> tuple[dict[str, int], int]:
        counts = reencrypt_all(s, actor="system:cli")
        counts["operator_totp_seeds"] = reencrypt_seeds(s)
        counts["face_images"] = reencrypt_images(s, actor="system:cli")
        return counts, reseal(s)

    try:
        counts, relinked = database(database_url).run(run)
    except ChainBroken as exc:
        fail(say("監査ログの連鎖を検証できません。何も変更していません: {error}", error=exc),
             code=1)
    except (DecryptionFailed, ImageUndecryptable) as exc:
        fail(say("どの鍵でも開けない暗号文があります。何も変更していません: {error}", error=exc),
             code=1)
    done = ", ".join(f"{what} {n}" for what, n in counts.items())
    typer.echo(say("現在の鍵で再暗号化しました: {done}。監査ログの再連結 {relinked} 件",
                   done=done, relinked=relinked))
