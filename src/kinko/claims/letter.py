"""The decision letter (補てん判定通知書): a printable A4 PDF of the decision and its trail."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from kinko.claims.errors import ClaimStateError
from kinko.claims.models import Claim, ClaimKind, ClaimState
from kinko.documents.pdf import Document, render
from kinko.parties.models import Customer

OUTCOME_JA = {"full": "全額補てん", "partial": "一部補てん", "reduced": "減額補てん",
              "none": "補てんなし"}


def decision_letter(session: Session, claim: Claim, *, bank_name: str) -> bytes:
    """The letter to the customer once the claim is decided (decided, paid or rejected)."""
    if claim.state not in (ClaimState.DECIDED, ClaimState.PAID, ClaimState.REJECTED) or \
            claim.decision is None:
        raise ClaimStateError(detail="the letter exists once the claim is decided")
    customer = session.get(Customer, claim.customer_id)
    decision = json.loads(claim.decision)
    kind = ("不正な振込等の補てん" if claim.kind is ClaimKind.FRAUD
            else "当行の処理誤りによる遅延損害金")
    outcome = OUTCOME_JA.get(decision.get("decision", ""), decision.get("decision", ""))
    body = [
        f"{claim.notified_on:%Y年%m月%d日}にお申し出いただいた{kind}について、"
        "次のとおり判定しましたのでお知らせします。",
        f"判定: {outcome}（{decision.get('decision')}）",
        f"補てん額: {claim.compensation or 0:,}円",
    ]
    if claim.state is ClaimState.PAID and claim.paid_at is not None:
        body.append("お支払い: 補てん額はお客さまの口座へ入金しました"
                    f"（{claim.paid_at:%Y-%m-%d}）。")
    if claim.state is ClaimState.REJECTED and claim.rejection_reason:
        body.append(f"理由: {claim.rejection_reason}")
    if claim.kind is ClaimKind.FRAUD and (claim.compensation or 0) > 0:
        body.append("補てんした金額の限度において、対象預金に関する権利は消滅し、当行は"
                    "不正な振込等を行った者に対するお客さまの損害賠償請求権等を取得します。")
    body.append("判定の根拠（規定の条項と適用の結果）は次のとおりです。")
    # Trail lines are long: as paragraphs they wrap, where table cells would not.
    body += [f"[{step['rule']}] {step['source']}: {step['effect']}"
             for step in decision.get("trail", [])]
    table = [["対象額", f"{decision.get('eligible_total', 0):,}円"],
             ["補てん額", f"{claim.compensation or 0:,}円"]]
    return render(Document(
        title="補てん判定通知書 / Decision on your claim",
        addressee=[f"{customer.name} 様" if customer else "", f"お申し出番号 {claim.id}"],
        issuer=[bank_name],
        body=body, table=table,
        footer=f"claim {claim.id} · {decision.get('profile', '')}",
        meta={"claim": str(claim.id)}))
