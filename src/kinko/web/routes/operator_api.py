"""The operator JSON API (/api/v1/operator): onboarding, the mail room, account states
(PRD-1, PRD-3, AUTH-7, CRED-5, LED-4, SUSP-1).

Protected by the operator console's session (the cookie set by /operator/login); unsafe
methods also need the console's CSRF token in ``X-CSRF-Token``. Without both the answer is
403 ``OPERATOR_SESSION_REQUIRED``. Creates take an ``Idempotency-Key`` header: a retried
request answers the first result and creates nothing twice. Errors are problem+json.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from kinko.backoffice.models import Operator
from kinko.backoffice.operators import actor_of
from kinko.errors import DomainError, ValidationFailed
from kinko.idempotency.service import once
from kinko.ledger.service import get_account
from kinko.onboarding import customers, mail, products, restrictions, states
from kinko.onboarding.models import Shipment, ShipmentState
from kinko.parties.models import Customer
from kinko.parties.residency import change_residency
from kinko.web.auth import SAFE_METHODS
from kinko.web.deps import DB
from kinko.web.pages.operator import check_path_ids, current_operator, operator_csrf_ok
from kinko.web.params import LINE_PATTERN, BankDate, Id
from kinko.web.routes.retail import IdempotencyKey

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])


class OperatorSessionRequired(DomainError):
    code = "OPERATOR_SESSION_REQUIRED"
    status = 403
    message_ja = "オペレーターとしてログインしてください（画面の CSRF トークンも必要です）。"


def operator(request: Request, s: Session = DB) -> Operator:
    """The signed-in operator, checked before the body is read (so a customer never learns
    what a body should hold); an id in the path that is out of range is a 422 first."""
    check_path_ids(request)
    found = current_operator(request, s)
    if found is None:
        raise OperatorSessionRequired(detail="no operator session")
    if request.method not in SAFE_METHODS and not operator_csrf_ok(
            request, request.headers.get("x-csrf-token", "")):
        raise OperatorSessionRequired(detail="X-CSRF-Token missing or wrong")
    return found


Op = Annotated[Operator, Depends(operator)]
Short = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1F\x7F-\x9F]*$")]
Password = Annotated[str, Field(min_length=1, max_length=128)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCustomer(Body):
    kind: Literal["individual", "corporate"]
    name: Short
    name_kana: Short
    branch_code: Annotated[str, Field(pattern=r"^\d{3}$")]
    postal_code: Annotated[str, Field(max_length=8)]
    address: Short
    phone: Annotated[str, Field(max_length=20)]
    birth_date: BankDate | None = None
    resident: StrictBool = True
    email: Annotated[str, Field(max_length=254)] | None = None


class NewAccount(Body):
    account_type: Literal["ordinary", "checking", "time"]


class Enrolment(Body):
    product: Literal["retail-001", "retail-003"]
    password: Password | None = Field(None, description="retail-001: the filed password")


class CorporateContract(Body):
    course: Literal["basic", "comprehensive"]
    representative_account_id: Id
    usage_account_ids: Annotated[list[Id], Field(max_length=50)] = []
    temporary_login_password: Password
    temporary_confirmation_password: Password
    token_kind: Literal["hard", "soft"] | None = "hard"  # noqa: S105 - a kind, not a secret
    tokens: Annotated[int, Field(ge=0, le=20)] = 1
    certificate_login: StrictBool = False
    smartphone_auth: StrictBool = False


class Residency(Body):
    resident: StrictBool
    effective: BankDate


class StateChange(Body):
    state: Literal["active", "payment_stopped", "deposit_stopped", "seized", "closed"]
    reason: Short


class Restriction(Body):
    reason: Literal["authority_request", "aml_concern", "fraud_prevention", "breach",
                    "antisocial_forces"]
    note: Short


class Returned(Body):
    reason: Short


def customer_json(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "number": c.number, "kind": c.kind.value, "name": c.name,
            "name_kana": c.name_kana, "branch_code": c.branch_code,
            "postal_code": c.postal_code, "address": c.address, "phone": c.phone,
            "birth_date": c.birth_date.isoformat() if c.birth_date else None,
            "resident": c.resident, "email": c.email}


def shipment_json(m: Shipment) -> dict[str, Any]:
    return {"id": m.id, "kind": m.kind.value, "state": m.state.value,
            "customer_id": m.customer_id, "contract_id": m.contract_id, "user_id": m.user_id,
            "reference": m.reference, "termination_candidate": m.termination_candidate,
            "replaces_id": m.replaces_id}


@router.get("/customers")
def list_customers(op: Op,
                   q: Annotated[str, Query(max_length=60, pattern=LINE_PATTERN)] = "",
                   s: Session = DB) -> dict[str, Any]:
    return {"customers": [customer_json(c) for c in customers.find_customers(s, text=q)]}


@router.post("/customers", status_code=201)
def register(body: NewCustomer, op: Op, key: IdempotencyKey, s: Session = DB
             ) -> dict[str, Any]:
    """Register an individual or corporate customer (PRD-1)."""
    def create() -> dict[str, Any]:
        return customer_json(customers.register_customer(
            s, actor=actor_of(op.id), **body.model_dump()))
    return once(s, scope=f"operator:{op.id}:customers", key=key, payload=body.model_dump(),
                create=create)


@router.get("/customers/{customer_id}")
def show(customer_id: Id, op: Op, s: Session = DB) -> dict[str, Any]:
    view = customers.customer_view(s, customer_id)
    return {**customer_json(view.customer),
            "accounts": [{"id": a.id, "branch_code": a.branch_code, "number": a.number,
                          "type": a.type.value, "state": a.state.value, "balance": a.balance}
                         for a in view.accounts],
            "contracts": [{"id": k.id, "product": k.product.value,
                           "course": k.course.value if k.course else None,
                           "state": k.state.value,
                           "usage_accounts": [{"account_id": u.account_id,
                                               "representative": u.representative}
                                              for u in products.usage_accounts(s, k.id)]}
                          for k in view.contracts],
            "users": [{"id": u.id, "login_id": u.login_id, "role": u.role.value,
                       "state": u.state.value} for u in view.users],
            "mail": [shipment_json(m) for m in mail.listing(s, customer_id=customer_id)]}


@router.post("/customers/{customer_id}/accounts", status_code=201)
def open_account(customer_id: Id, body: NewAccount, op: Op, key: IdempotencyKey,
                 s: Session = DB) -> dict[str, Any]:
    def create() -> dict[str, Any]:
        a = customers.open_customer_account(s, customer_id=customer_id,
                                            account_type=body.account_type,
                                            actor=actor_of(op.id))
        return {"id": a.id, "branch_code": a.branch_code, "number": a.number,
                "type": a.type.value}
    return once(s, scope=f"operator:{op.id}:accounts", key=key,
                payload={"customer": customer_id, **body.model_dump()}, create=create)


@router.post("/customers/{customer_id}/enrolments", status_code=201)
def enrol(customer_id: Id, body: Enrolment, op: Op, key: IdempotencyKey, s: Session = DB
          ) -> dict[str, Any]:
    """retail-001 (the filed password; the card is mailed) or retail-003 (the initial
    credentials and a token are mailed; the password itself is only ever on the letter)."""
    def create() -> dict[str, Any]:
        if body.product == "retail-001":
            if body.password is None:
                raise ValidationFailed(detail="retail-001 needs the filed password",
                                       fields=["password"])
            done = products.enrol_retail_001(s, customer_id=customer_id,
                                             password=body.password, actor=actor_of(op.id))
        else:
            done = products.enrol_retail_003(s, customer_id=customer_id,
                                             actor=actor_of(op.id))
        return {"user_id": done.user_id, "contract_id": done.contract_id,
                "login_id": done.login_id, "shipments": list(done.shipments)}
    return once(s, scope=f"operator:{op.id}:enrolments", key=key,
                payload={"customer": customer_id, "product": body.product,
                         "password": bool(body.password)}, create=create)


@router.post("/customers/{customer_id}/corporate-contracts", status_code=201)
def corporate(customer_id: Id, body: CorporateContract, op: Op, key: IdempotencyKey,
              s: Session = DB) -> dict[str, Any]:
    def create() -> dict[str, Any]:
        done = products.open_corporate_contract(
            s, customer_id=customer_id, course=body.course,
            representative_account_id=body.representative_account_id,
            usage_account_ids=body.usage_account_ids,
            temporary_login_password=body.temporary_login_password,
            temporary_confirmation_password=body.temporary_confirmation_password,
            token_kind=body.token_kind, tokens=body.tokens,
            certificate_login=body.certificate_login, smartphone_auth=body.smartphone_auth,
            actor=actor_of(op.id))
        return {"user_id": done.user_id, "contract_id": done.contract_id,
                "shipments": list(done.shipments)}
    payload = body.model_dump(exclude={"temporary_login_password",
                                       "temporary_confirmation_password"})
    return once(s, scope=f"operator:{op.id}:corporate", key=key,
                payload={"customer": customer_id, **payload}, create=create)


@router.post("/customers/{customer_id}/residency")
def residency(customer_id: Id, body: Residency, op: Op, s: Session = DB
              ) -> dict[str, Any]:
    done = change_residency(s, customer_id, body.resident, body.effective,
                            actor=actor_of(op.id))
    return {"customer_id": done.customer_id, "resident": done.resident,
            "changed_on": done.changed_on.isoformat() if done.changed_on else None}


@router.post("/accounts/{account_id}/state", responses={
    202: {"description": "承認待ち / asked for: a second operator approves it"}})
def account_state(account_id: Id, body: StateChange, op: Op, s: Session = DB
                  ) -> JSONResponse:
    """A payment or deposit stop is made now (200); a seizure, closure or release is asked
    for (202 with the request id): a second operator approves it in the console."""
    was = get_account(s, account_id).state
    request_id = states.change_or_ask(s, account_id=account_id, state=body.state,
                                      reason=body.reason, operator_id=op.id)
    if request_id is not None:
        return JSONResponse({"account_id": account_id, "request_id": request_id,
                             "state": "approval_pending"}, status_code=202)
    return JSONResponse({"account_id": account_id, "from": was.value, "state": body.state})


@router.post("/contracts/{contract_id}/restriction")
def restrict(contract_id: Id, body: Restriction, op: Op, s: Session = DB
             ) -> dict[str, Any]:
    restrictions.restrict_service(s, contract_id=contract_id, reason=body.reason, note=body.note,
                            actor=actor_of(op.id))
    return {"contract_id": contract_id, "state": "suspended", "reason": body.reason}


@router.get("/mail")
def mail_queue(op: Op, state: Annotated[ShipmentState | None, Query()] = None,
               s: Session = DB) -> dict[str, Any]:
    rows = mail.listing(s, states=None if state is None else (state,))
    return {"shipments": [shipment_json(m) for m in rows]}


@router.post("/mail/{shipment_id}/print", response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}})
def print_letter(shipment_id: Id, op: Op, s: Session = DB) -> Response:
    pdf = mail.print_pdf(s, shipment_id=shipment_id, actor=actor_of(op.id))
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


@router.post("/mail/{shipment_id}/sent")
def sent(shipment_id: Id, op: Op, s: Session = DB) -> dict[str, Any]:
    return shipment_json(mail.mark_sent(s, shipment_id=shipment_id, actor=actor_of(op.id)))


@router.post("/mail/{shipment_id}/returned")
def returned(shipment_id: Id, body: Returned, op: Op, s: Session = DB) -> dict[str, Any]:
    again = mail.record_returned(s, shipment_id=shipment_id, reason=body.reason,
                                 actor=actor_of(op.id))
    return {"returned": shipment_id, "reissue": shipment_json(again)}


