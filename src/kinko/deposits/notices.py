"""The e-mail notices of time deposits (NOTIF-1), added to the catalogue of
kinko.notifications. Imported by the service, which the batch's handler list imports. They use
the catalogue's common fields (reference, amount); anything else is optional. Written in
Japanese; the English is the message catalogue's."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, line, optional, register_template, sentence

_PRINCIPAL = (line("受付番号：{reference}", reference="reference")
              + line("元金：{amount}", amount="amount|yen")
              + optional("net_interest", "税引後利息：{net_interest}", "net_interest|yen"))

register_template("time_deposit.opened", MailTemplate(
    sentence("定期預金のお預入れを受け付けました"),
    line("以下の定期預金をお預かりしました。") + "\n"
    + line("受付番号：{reference}", reference="reference")
    + line("金額：{amount}", amount="amount|yen")
    + optional("maturity_date", "満期日：{maturity_date}", "maturity_date|date"),
))

register_template("time_deposit.matured", MailTemplate(
    sentence("定期預金が満期になりました"),
    line("定期預金が満期となり、元金と税引後利息をお受取口座にご入金しました。")
    + "\n" + _PRINCIPAL,
))

register_template("time_deposit.cancelled", MailTemplate(
    sentence("定期預金を中途解約しました"),
    line("定期預金を中途解約し、元金と税引後利息（期限前解約利率）をお受取口座にご入金しました。")
    + "\n" + _PRINCIPAL,
))
