"""E-mail notices of bulk and payroll requests (NOTIF-1): every step is mailed.

The data names the request's kind in both languages (``kind_ja``, ``kind_en``); each notice
is written in Japanese and takes its English from the message catalogue."""

from __future__ import annotations

from kinko.notifications.templates import REASON, MailTemplate, line, register_template, sentence

_KIND = "either(kind_ja, kind_en)"
_DETAILS = (line("受付番号：{reference}", reference="reference")
            + line("種別：{kind}", kind=_KIND)
            + line("振込指定日：{value_date}", value_date="value_date")
            + line("件数：{count}件", count="count")
            + line("合計金額：{amount}", amount="amount|yen")
            + line("手数料：{fee}", fee="fee|yen")
            + "{% if reason is defined %}" + REASON + "{% endif %}")

for name, subject, text in (
    ("bulk.entered", sentence("{kind}のご依頼を受け付けました（承認待ち）", kind=_KIND),
     sentence("以下のご依頼を受け付けました。承認者の承認をお待ちください。")),
    ("bulk.approval_step", sentence("{kind}のご依頼が承認されました（{step}）", kind=_KIND,
                                    step="step"),
     sentence("以下のご依頼が承認されました（{step}）。", step="step")),
    ("bulk.approved", sentence("{kind}のご依頼が確定しました", kind=_KIND),
     sentence("以下のご依頼はすべての承認を得て確定しました。振込指定日に実行します。")),
    ("bulk.rejected", sentence("{kind}のご依頼が差し戻されました", kind=_KIND),
     sentence("以下のご依頼は承認者により差し戻されました。")),
    ("bulk.expired", sentence("{kind}のご依頼が時限切れとなりました", kind=_KIND),
     sentence("以下のご依頼は受付時限までに承認が完了しなかったため無効となりました。")),
    ("bulk.cancelled", sentence("{kind}のご依頼を取り消しました", kind=_KIND),
     sentence("以下のご依頼を取り消しました。")),
    ("bulk.recalled", sentence("{kind}のご依頼の組戻を受け付けました", kind=_KIND),
     sentence("受付時限後のため、以下のご依頼を組戻として取り消しました。組戻手数料をいただきます。")),
    ("bulk.lines_recalled", sentence("{kind}の組戻を受け付けました（{recalled}件）", kind=_KIND,
                                     recalled="recalled"),
     sentence("実行開始後のご依頼の明細 {recalled} 件を組戻しました。"
              "振込金額はご指定の代表口座へ戻し、組戻手数料 {recall_fee} をいただきました。",
              recalled="recalled", recall_fee="recall_fee|yen")
     + "{% if kept %}\n\n" + sentence("組戻できなかった明細が {kept} 件あります。", kept="kept")
     + "{% endif %}"),
    ("bulk.not_established", sentence("{kind}が不成立となりました", kind=_KIND),
     sentence("資金不足等により、以下のご依頼は不成立となりました。")),
    ("bulk.executed", sentence("{kind}を実行しました", kind=_KIND),
     sentence("以下のご依頼を実行しました。結果は結果照会でご確認いただけます。")),
):
    register_template(name, MailTemplate(subject, text + "\n\n" + _DETAILS))
