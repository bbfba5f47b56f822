"""The e-mail notices of time deposits (NOTIF-1), added to the catalogue of
kinko.notifications. Imported by the service, which the batch's handler list imports. They use
the catalogue's common fields (reference, amount); anything else is optional."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

_NET_JA = "{% if net_interest is defined %}税引後利息：{{ net_interest|yen }}\n{% endif %}"
_NET_EN = ("{% if net_interest is defined %}Interest after tax: {{ net_interest|yen_en }}\n"
           "{% endif %}")

register_template("time_deposit.opened", MailTemplate(
    "定期預金のお預入れを受け付けました", "Time deposit opened",
    "以下の定期預金をお預かりしました。\n\n"
    "受付番号：{{ reference }}\n金額：{{ amount|yen }}\n"
    "{% if maturity_date is defined %}満期日：{{ maturity_date|date_ja }}\n{% endif %}",
    "We have opened the time deposit below.\n\n"
    "Reference: {{ reference }}\nAmount: {{ amount|yen_en }}\n"
    "{% if maturity_date is defined %}Maturity: {{ maturity_date|date_en }}\n{% endif %}",
))

register_template("time_deposit.matured", MailTemplate(
    "定期預金が満期になりました", "Time deposit matured",
    "定期預金が満期となり、元金と税引後利息をお受取口座にご入金しました。\n\n"
    "受付番号：{{ reference }}\n元金：{{ amount|yen }}\n" + _NET_JA,
    "Your time deposit has matured; the principal and the interest after tax have been "
    "credited to your account.\n\n"
    "Reference: {{ reference }}\nPrincipal: {{ amount|yen_en }}\n" + _NET_EN,
))

register_template("time_deposit.cancelled", MailTemplate(
    "定期預金を中途解約しました", "Time deposit cancelled early",
    "定期預金を中途解約し、元金と税引後利息（期限前解約利率）をお受取口座にご入金しました。\n\n"
    "受付番号：{{ reference }}\n元金：{{ amount|yen }}\n" + _NET_JA,
    "Your time deposit was cancelled early; the principal and the interest after tax (at "
    "the early-cancellation rate) have been credited to your account.\n\n"
    "Reference: {{ reference }}\nPrincipal: {{ amount|yen_en }}\n" + _NET_EN,
))
