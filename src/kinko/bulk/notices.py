"""E-mail notices of bulk and payroll requests (NOTIF-1): every step is mailed."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

_JA = ("受付番号：{{ reference }}\n種別：{{ kind_ja }}\n振込指定日：{{ value_date }}\n"
       "件数：{{ count }}件\n合計金額：{{ amount|yen }}\n手数料：{{ fee|yen }}\n")
_EN = ("Reference: {{ reference }}\nKind: {{ kind_en }}\nValue date: {{ value_date }}\n"
       "Payees: {{ count }}\nTotal: {{ amount|yen_en }}\nFees: {{ fee|yen_en }}\n")
_REASON_JA = "{% if reason is defined %}理由：{{ reason }}\n{% endif %}"
_REASON_EN = "{% if reason is defined %}Reason: {{ reason }}\n{% endif %}"

for name, sja, sen, bja, ben in (
    ("bulk.entered", "{{ kind_ja }}のご依頼を受け付けました（承認待ち）",
     "{{ kind_en }} request received (waiting for approval)",
     "以下のご依頼を受け付けました。承認者の承認をお待ちください。",
     "The request below was received and waits for approval."),
    ("bulk.approval_step", "{{ kind_ja }}のご依頼が承認されました（{{ step }}）",
     "{{ kind_en }} request approved ({{ step }})",
     "以下のご依頼が承認されました（{{ step }}）。",
     "The request below was approved ({{ step }})."),
    ("bulk.approved", "{{ kind_ja }}のご依頼が確定しました", "{{ kind_en }} request confirmed",
     "以下のご依頼はすべての承認を得て確定しました。振込指定日に実行します。",
     "The request below has every approval and will run on its value date."),
    ("bulk.rejected", "{{ kind_ja }}のご依頼が差し戻されました", "{{ kind_en }} request rejected",
     "以下のご依頼は承認者により差し戻されました。", "An approver rejected the request below."),
    ("bulk.expired", "{{ kind_ja }}のご依頼が時限切れとなりました", "{{ kind_en }} request expired",
     "以下のご依頼は受付時限までに承認が完了しなかったため無効となりました。",
     "The request below was not approved by its cutoff and is void."),
    ("bulk.cancelled", "{{ kind_ja }}のご依頼を取り消しました", "{{ kind_en }} request cancelled",
     "以下のご依頼を取り消しました。", "The request below was cancelled."),
    ("bulk.recalled", "{{ kind_ja }}のご依頼の組戻を受け付けました",
     "{{ kind_en }} request recalled",
     "受付時限後のため、以下のご依頼を組戻として取り消しました。組戻手数料をいただきます。",
     "After the cutoff, the request below was recalled; the recall fee applies."),
    ("bulk.lines_recalled", "{{ kind_ja }}の組戻を受け付けました（{{ recalled }}件）",
     "{{ kind_en }}: {{ recalled }} payee(s) recalled",
     "実行開始後のご依頼の明細 {{ recalled }} 件を組戻しました。振込金額はご指定の代表口座へ"
     "戻し、組戻手数料 {{ recall_fee|yen }} をいただきました。"
     "{% if kept %}組戻できなかった明細が {{ kept }} 件あります。{% endif %}",
     "{{ recalled }} payee(s) of the request below were recalled after its run began: the "
     "amounts went back to the representative account and the recall fee of "
     "{{ recall_fee|yen_en }} was charged."
     "{% if kept %} {{ kept }} payee(s) could not be recalled.{% endif %}"),
    ("bulk.not_established", "{{ kind_ja }}が不成立となりました", "{{ kind_en }} not made",
     "資金不足等により、以下のご依頼は不成立となりました。",
     "The request below was not made (funds short or the account not usable)."),
    ("bulk.executed", "{{ kind_ja }}を実行しました", "{{ kind_en }} executed",
     "以下のご依頼を実行しました。結果は結果照会でご確認いただけます。",
     "The request below was executed; see its result report."),
):
    register_template(name, MailTemplate(sja, sen, bja + "\n\n" + _JA + _REASON_JA,
                                         ben + "\n\n" + _EN + _REASON_EN))
