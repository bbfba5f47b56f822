"""Operator console: customers, accounts, products and account states (PRD-1, PRD-3, AUTH-7,
LED-4, SUSP-1, CTR-2, OPS-1).

Every page needs an operator session (:func:`kinko.web.pages.operator.current_operator`) and
every form its CSRF token. A change that freezes or releases money is not made here but asked
for: it appears in the console's list of requests, and a second operator approves it there.
Bad input re-renders the page with the problem and changes nothing (each use case runs in a
savepoint that is rolled back on a domain error).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import certificates, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.models import ClientCertificate, OtpToken, Product, TokenKind
from kinko.backoffice import approvals
from kinko.backoffice.models import Operator
from kinko.backoffice.operators import actor_of
from kinko.errors import ValidationFailed
from kinko.ledger.models import AccountState
from kinko.onboarding import customers, mail, products, reissue, restrictions, rules, states
from kinko.onboarding.errors import CustomerInputInvalid
from kinko.parties.models import CustomerKind
from kinko.parties.residency import change_residency, get_customer
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, parse_id, problem_text
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator", include_in_schema=False)

MAX_FIELD = 200


def parse_date(text: str, field: str) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CustomerInputInvalid(detail=f"{field}: YYYY-MM-DD", fields=[field]) from exc


def parse_ids(text: str, field: str) -> list[int]:
    return [parse_id(part, field) for part in text.replace("、", ",").split(",") if part.strip()]


def parse_flag(text: str, field: str) -> bool:
    if text not in ("true", "false"):
        raise ValidationFailed(detail=f"{field} is true or false", fields=[field])
    return text == "true"


# --- customers -------------------------------------------------------------------------------


def _customers_page(request: Request, s: Session, operator: Operator, *, q: str = "",
                    error: str | None = None, form: dict[str, str] | None = None,
                    status_code: int = 200) -> HTMLResponse:
    return render(request, "onboarding/customers.html", status_code=status_code,
                  operator=operator, csrf=operator_csrf(request), q=q,
                  rows=customers.find_customers(s, text=q[:60]), error=error,
                  form=form or {}, kinds=tuple(CustomerKind))


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, q: str = Query("", max_length=60),
                   operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _customers_page(request, s, operator, q=q)


@router.post("/customers", response_class=HTMLResponse)
def register(request: Request, kind: str = Form(""), name: str = Form(""),
             name_kana: str = Form(""), branch_code: str = Form(""), postal_code: str = Form(""),
             address: str = Form(""), phone: str = Form(""), birth_date: str = Form(""),
             resident: str = Form("true"), email: str = Form(""),
             operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Register an individual or corporate customer from the application (PRD-1)."""
    form = {"kind": kind, "name": name[:MAX_FIELD], "name_kana": name_kana[:MAX_FIELD],
            "branch_code": branch_code[:10], "postal_code": postal_code[:20],
            "address": address[:MAX_FIELD], "phone": phone[:30], "birth_date": birth_date[:20],
            "resident": resident, "email": email[:254]}

    def run() -> str:
        customer = customers.register_customer(
            s, kind=kind, name=name[:MAX_FIELD + 1], name_kana=name_kana[:MAX_FIELD + 1],
            branch_code=branch_code[:10], postal_code=postal_code[:20],
            address=address[:MAX_FIELD + 1], phone=phone[:30],
            birth_date=parse_date(birth_date[:20], "birth_date"),
            resident=parse_flag(resident, "resident"), email=email[:300] or None,
            actor=actor_of(operator.id))
        return f"/operator/customers/{customer.id}?done=registered"
    return act(s, run, lambda exc: _customers_page(
        request, s, operator, form=form, status_code=exc.status,
        error=problem_text(exc, language(request))))


def customer_page(request: Request, s: Session, operator: Operator, customer_id: int, *,
                  error: str | None = None, done: str | None = None, status_code: int = 200,
                  shown: dict[str, Any] | None = None) -> HTMLResponse:
    view = customers.customer_view(s, customer_id)
    user_ids = [u.id for u in view.users]
    contract_ids = [c.id for c in view.contracts]
    certs = s.execute(select(ClientCertificate).where(ClientCertificate.user_id.in_(user_ids))
                      .order_by(ClientCertificate.id)).scalars().all() if user_ids else []
    lent = s.execute(select(OtpToken).where(OtpToken.contract_id.in_(contract_ids))
                     .order_by(OtpToken.id)).scalars().all() if contract_ids else []
    usage = {c.id: products.usage_accounts(s, c.id) for c in view.contracts}
    return render(request, "onboarding/customer.html", status_code=status_code,
                  operator=operator, csrf=operator_csrf(request), view=view, c=view.customer,
                  shipments=mail.listing(s, customer_id=customer_id), certs=certs, lent=lent,
                  usage=usage, error=error, done=done, shown=shown or {},
                  states=tuple(AccountState), labels=states.STATE_LABELS,
                  reasons=rules.RESTRICTION_REASONS,
                  openable=[t.value for t in customers.OPENABLE],
                  restriction=lambda reason: restrictions.restriction_text(
                      reason, language(request)))


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(request: Request, customer_id: Id, done: str = Query("", max_length=60),
             operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return customer_page(request, s, operator, customer_id, done=done or None)


def on_customer(request: Request, s: Session, operator: Operator, customer_id: int,
                run: Callable[[Operator], str | tuple[str, dict[str, Any]]]) -> Response:
    """Run one use case for the customer page; on a domain error show it, changing nothing.
    ``run`` answers what was done (for ``?done=``), or that with something to show once."""
    get_customer(s, customer_id)

    def outcome() -> str | Response:
        done = run(operator)
        if isinstance(done, tuple):
            # Something to show once (the member number of a new 001 user): no redirect.
            return customer_page(request, s, operator, customer_id, done=done[0],
                                 shown=done[1])
        return f"/operator/customers/{customer_id}?done={done}"
    return act(s, outcome, lambda exc: customer_page(
        request, s, operator, customer_id, status_code=exc.status,
        error=problem_text(exc, language(request))))


@router.post("/customers/{customer_id}/accounts", response_class=HTMLResponse)
def open_account(request: Request, customer_id: Id, account_type: str = Form(""),
                 operator: Operator = OPERATOR, s: Session = DB) -> Response:
    def run(operator: Operator) -> str:
        account = customers.open_customer_account(s, customer_id=customer_id,
                                                  account_type=account_type[:20],
                                                  actor=actor_of(operator.id))
        return f"account-{account.branch_code}-{account.number}"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/enrol", response_class=HTMLResponse)
def enrol(request: Request, customer_id: Id, product: str = Form(""),
          password: str = Form(""), operator: Operator = OPERATOR, s: Session = DB
          ) -> Response:
    """Enrol in retail-001 (the filed password; a card is mailed) or retail-003 (the initial
    credentials letter and a token are mailed)."""
    def run(operator: Operator) -> str | tuple[str, dict[str, Any]]:
        actor = actor_of(operator.id)
        if product == Product.RETAIL_001.value:
            done = products.enrol_retail_001(s, customer_id=customer_id,
                                             password=password[:128], actor=actor)
            return "enrolled-retail-001", {"member_number": done.login_id}
        if product == Product.RETAIL_003.value:
            products.enrol_retail_003(s, customer_id=customer_id, actor=actor)
            return "enrolled-retail-003"
        raise ValidationFailed(detail="product: retail-001 or retail-003", fields=["product"])
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/corporate", response_class=HTMLResponse)
def corporate(request: Request, customer_id: Id, course: str = Form(""),
              representative_account_id: str = Form(""), usage_account_ids: str = Form(""),
              temporary_login_password: str = Form(""),
              temporary_confirmation_password: str = Form(""), token_kind: str = Form(""),
              tokens_lent: str = Form("1"), certificate_login: str = Form("false"),
              smartphone_auth: str = Form("false"), operator: Operator = OPERATOR,
              s: Session = DB) -> Response:
    """A business-net Basic/Comprehensive contract with its usage accounts (PRD-3)."""
    def run(operator: Operator) -> str:
        count = tokens_lent.strip() or "0"
        if not (count.isascii() and count.isdigit() and len(count) <= 2):
            raise ValidationFailed(detail="tokens: 0 to 20", fields=["tokens_lent"])
        done = products.open_corporate_contract(
            s, customer_id=customer_id, course=course[:20],
            representative_account_id=parse_id(representative_account_id,
                                               "representative_account_id"),
            usage_account_ids=parse_ids(usage_account_ids[:400], "usage_account_ids"),
            temporary_login_password=temporary_login_password[:128],
            temporary_confirmation_password=temporary_confirmation_password[:128],
            token_kind=token_kind[:10] or None, tokens=int(count),
            certificate_login=parse_flag(certificate_login, "certificate_login"),
            smartphone_auth=parse_flag(smartphone_auth, "smartphone_auth"),
            actor=actor_of(operator.id))
        return f"contract-{done.contract_id}"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/residency", response_class=HTMLResponse)
def residency(request: Request, customer_id: Id, resident: str = Form(""),
              effective: str = Form(""), operator: Operator = OPERATOR, s: Session = DB
              ) -> Response:
    """Record the customer's written declaration of (non-)residency (PRD-5)."""
    def run(operator: Operator) -> str:
        day = parse_date(effective[:20], "effective")
        if day is None:
            raise CustomerInputInvalid(detail="effective: YYYY-MM-DD", fields=["effective"])
        change_residency(s, customer_id, parse_flag(resident, "resident"), day,
                         actor=actor_of(operator.id))
        return "residency"
    return on_customer(request, s, operator, customer_id, run)


# --- account states and service restrictions -------------------------------------------


@router.post("/customers/{customer_id}/accounts/{account_id}/state",
             response_class=HTMLResponse)
def account_state(request: Request, customer_id: Id, account_id: Id,
                  state: str = Form(""), reason: str = Form(""),
                  operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A payment or deposit stop at once; a seizure, closure or release is asked for (four
    eyes) and carried out when a second operator approves it."""
    def run(operator: Operator) -> str:
        owned = {a.id for a in customers.customer_view(s, customer_id).accounts}
        if account_id not in owned:
            raise ValidationFailed(detail="not this customer's account", fields=["account_id"])
        request_id = states.change_or_ask(s, account_id=account_id, state=state[:20],
                                          reason=reason[:MAX_FIELD + 1],
                                          operator_id=operator.id)
        if request_id is not None:
            return f"requested-{request_id}"
        return f"state-{state[:20]}"
    return on_customer(request, s, operator, customer_id, run)


def _contract_of(s: Session, customer_id: int, contract_id: int) -> None:
    contract = auth_repo.contract(s, contract_id)
    if contract is None or contract.customer_id != customer_id:
        raise ValidationFailed(detail="not this customer's contract", fields=["contract_id"])


@router.post("/customers/{customer_id}/contracts/{contract_id}/restrict",
             response_class=HTMLResponse)
def restrict(request: Request, customer_id: Id, contract_id: Id,
             reason: str = Form(""), note: str = Form(""), operator: Operator = OPERATOR,
             s: Session = DB) -> Response:
    """The bank stops the internet service at once (authority request, AML concern, …)."""
    def run(operator: Operator) -> str:
        _contract_of(s, customer_id, contract_id)
        restrictions.restrict_service(s, contract_id=contract_id, reason=reason[:40],
                                note=note[:MAX_FIELD + 1], actor=actor_of(operator.id))
        return "restricted"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/contracts/{contract_id}/lift",
             response_class=HTMLResponse)
def lift(request: Request, customer_id: Id, contract_id: Id,
         reason: str = Form(""), operator: Operator = OPERATOR, s: Session = DB
         ) -> Response:
    def run(operator: Operator) -> str:
        _contract_of(s, customer_id, contract_id)
        row = approvals.request(s, action=restrictions.LIFT_RESTRICTION_ACTION,
                                subject_type="auth_contract", subject_id=contract_id,
                                payload={"contract_id": contract_id}, reason=reason[:200],
                                requested_by=operator.id)
        return f"requested-{row.id}"
    return on_customer(request, s, operator, customer_id, run)


# --- tokens and certificates -------------------------------------------------------------


@router.post("/customers/{customer_id}/contracts/{contract_id}/tokens",
             response_class=HTMLResponse)
def extra_token(request: Request, customer_id: Id, contract_id: Id,
                operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Lend a further hard token at the extra-issue fee (CRED-1); it is queued for the post."""
    def run(operator: Operator) -> str:
        _contract_of(s, customer_id, contract_id)
        shipment = products.lend_extra_token(s, contract_id=contract_id,
                                             actor=actor_of(operator.id))
        return f"token-{shipment.reference}"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/contracts/{contract_id}/token-kind",
             response_class=HTMLResponse)
def token_kind(request: Request, customer_id: Id, contract_id: Id,
               to: str = Form(""), operator: Operator = OPERATOR, s: Session = DB
               ) -> Response:
    """Carry out an application to switch between hard and soft tokens (002 第11条3)."""
    def run(operator: Operator) -> str:
        _contract_of(s, customer_id, contract_id)
        if to not in {k.value for k in TokenKind}:
            raise ValidationFailed(detail="to: hard or soft", fields=["to"])
        tokens.switch_token_kind(s, contract_id=contract_id, to=TokenKind(to),
                                 actor=actor_of(operator.id))
        return f"token-kind-{to}"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/users/{user_id}/soft-token/deregister",
             response_class=HTMLResponse)
def deregister_soft(request: Request, customer_id: Id, user_id: Id,
                    operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """利用解除 at the customer's written request (a lost or changed phone)."""
    def run(operator: Operator) -> str:
        user = auth_repo.user(s, user_id)
        if user is None or user.customer_id != customer_id:
            raise ValidationFailed(detail="not this customer's user", fields=["user_id"])
        tokens.deregister_soft_token(s, user_id=user_id, actor=actor_of(operator.id))
        return "soft-token-deregistered"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/users/{user_id}/token-reissue",
             response_class=HTMLResponse)
def token_reissue(request: Request, customer_id: Id, user_id: Id,
                  reason: str = Form(""), note: str = Form(""),
                  operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Ask to reissue a user's hard token by post: after a loss (fee), at expiry or for a
    defect (free); a second operator approves it in the console (CRED-1)."""
    def run(operator: Operator) -> str:
        user = auth_repo.user(s, user_id)
        if user is None or user.customer_id != customer_id:
            raise ValidationFailed(detail="not this customer's user", fields=["user_id"])
        row = approvals.request(s, action=reissue.REISSUE_ACTION, subject_type="auth_user",
                                subject_id=user_id,
                                payload={"user_id": user_id, "reason": reason[:10]},
                                reason=note[:200], requested_by=operator.id)
        return f"requested-{row.id}"
    return on_customer(request, s, operator, customer_id, run)


@router.post("/customers/{customer_id}/certificates/{certificate_id}/revoke",
             response_class=HTMLResponse)
def revoke_certificate(request: Request, customer_id: Id, certificate_id: Id,
                       reason: str = Form(""), operator: Operator = OPERATOR,
                       s: Session = DB) -> Response:
    """Revoke a client certificate (a disposed PC, contract end, a report) (CRED-4)."""
    def run(operator: Operator) -> str:
        row = s.get(ClientCertificate, certificate_id)
        user = None if row is None else auth_repo.user(s, row.user_id)
        if row is None or user is None or user.customer_id != customer_id:
            raise ValidationFailed(detail="not this customer's certificate",
                                   fields=["certificate_id"])
        certificates.revoke(s, serial=row.serial, reason=reason[:80] or "operator",
                            actor=actor_of(operator.id))
        return "certificate-revoked"
    return on_customer(request, s, operator, customer_id, run)


