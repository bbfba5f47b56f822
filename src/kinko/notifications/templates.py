"""The e-mail notices Kinko sends (NOTIF-1): plain text, Japanese first, English below.

A notice is written once, in Japanese, one catalogue sentence per line or paragraph:
``{{ _("日時：{at}", at=at|jst) }}``. It is rendered twice with the message's ``data``: in
Japanese, then with each sentence's English from the message catalogue (``msgctxt "mail"``,
docs/messages.md), the named placeholders filled after the lookup. The filters ``yen``,
``jst``, ``date`` and ``secret`` format in the language being rendered, and ``either(ja, en)``
picks a value the data carries in both. Rendering is strict: a field a template needs and the
data lacks (or a placeholder a sentence names and the call does not give) is an error, never
a blank in a notice to a customer. Optional fields are written ``x|default(…)`` or tested with
``is defined``. Other packages add their own notices with :func:`register_template`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from jinja2 import (
    Environment,
    StrictUndefined,
    Template,
    TemplateError,
    UndefinedError,
    pass_context,
)
from jinja2.runtime import Context

from kinko import clock
from kinko.catalogue import en
from kinko.money import format_yen
from kinko.notifications.errors import TemplateDataMissing, UnknownTemplate

MAIL = "mail"  # the catalogue context of every sentence of a notice
LANGUAGES = ("ja", "en")  # the order the halves of a notice are written in

BANK_JA = "Kinko インターネットバンキング"
BANK_EN = "Kinko Internet Banking"

_FOOTER_RULE = "――――――――――――――――――――"
FOOTER_JA = ("本メールは送信専用です。お心当たりのないお取引やご不明な点は、"
             "メール本文のリンクを使わず、お取引店またはお届けの連絡先までお問い合わせください。")


def said(lang: str, ja: str) -> str:
    """A notice's sentence ``ja`` in ``lang``: the Japanese, or its English under
    ``msgctxt "mail"``; a sentence without an entry stays Japanese (the notice test finds it)."""
    return ja if lang != "en" else (en(ja, MAIL) or ja)


@cache
def footer() -> str:
    """The closing lines of every notice, the warning in both languages (read once)."""
    return f"{_FOOTER_RULE}\n{BANK_JA}\n{FOOTER_JA}\n{said('en', FOOTER_JA)}\n"


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return clock.to_jst(value)
    return clock.to_jst(datetime.fromisoformat(str(value)))


def jst(value: Any) -> str:
    """``2026-11-20T12:00:00+09:00`` → ``2026年11月20日 12:00``."""
    moment = _moment(value)
    return "—" if moment is None else f"{moment:%Y年%m月%d日 %H:%M}"


def jst_en(value: Any) -> str:
    moment = _moment(value)
    return "—" if moment is None else f"{moment:%d %b %Y %H:%M} JST"


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def date_ja(value: Any) -> str:
    day = _day(value)
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def date_en(value: Any) -> str:
    day = _day(value)
    return "—" if day is None else f"{day:%d %b %Y}"


def yen_en(amount: int) -> str:
    return f"JPY {amount:,}"


SECRET_NAMES = {
    "login_password": "ログインパスワード",
    "confirmation_password": "確認用パスワード",
    "secret_phrase": "合言葉",
}


def secret_ja(kind: str) -> str:
    return SECRET_NAMES.get(kind, kind)


def secret_en(kind: str) -> str:
    return said("en", SECRET_NAMES[kind]) if kind in SECRET_NAMES else kind


# --- the language-aware parts a notice is written with ---------------------------------------


def _lang(context: Context) -> str:
    return str(context.get("lang", "ja"))


@pass_context
def _say(context: Context, ja: str, **params: Any) -> str:
    """One sentence of the catalogue in the language rendered, its placeholders filled after
    the lookup (so the English may put them elsewhere). Every sentence is formatted, so a
    placeholder the call does not fill is a KeyError (render() makes it TemplateDataMissing),
    never a ``{name}`` left in a notice."""
    return said(_lang(context), ja).format(**params)


@pass_context
def _either(context: Context, ja: Any, en: Any) -> Any:
    """A value the data carries in both languages (``kind_ja``/``kind_en``)."""
    return en if _lang(context) == "en" else ja


def _by_language(ja: Any, en: Any) -> Any:
    @pass_context
    def chosen(context: Context, value: Any) -> Any:
        return (en if _lang(context) == "en" else ja)(value)
    return chosen


_env = Environment(undefined=StrictUndefined, autoescape=False,  # noqa: S701 - plain text mail
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(yen=_by_language(format_yen, yen_en), jst=_by_language(jst, jst_en),
                    date=_by_language(date_ja, date_en),
                    secret=_by_language(secret_ja, secret_en))
_env.globals.update({"_": _say, "either": _either})


def sentence(ja: str, /, **params: str) -> str:
    """The Jinja tag that says ``ja`` from the catalogue; each parameter is a Jinja expression
    (``sentence("日時：{at}", at="at|jst")`` → ``{{ _("日時：{at}", at=at|jst) }}``)."""
    if '"' in ja or "\n" in ja:
        raise ValueError(f"a notice's sentence is one line without double quotes: {ja!r}")
    given = "".join(f", {name}={expr}" for name, expr in params.items())
    return f'{{{{ _("{ja}"{given}) }}}}'


def line(ja: str, /, **params: str) -> str:
    """:func:`sentence` and a line break."""
    return sentence(ja, **params) + "\n"


def optional(name: str, ja: str, expr: str | None = None) -> str:
    """A line shown only when the data has ``name`` (``expr`` formats it, default as is)."""
    return f"{{% if {name} is defined %}}{line(ja, **{name: expr or name})}{{% endif %}}"


SENTENCE = re.compile(r'(?<![\w.])_\("([^"\n]*)"')


@dataclass(frozen=True, slots=True)
class MailTemplate:
    """A notice: its subject and body as Jinja sources written in Japanese, each sentence a
    catalogue lookup (:func:`sentence`)."""

    subject: str
    body: str

    def sentences(self) -> list[str]:
        """The Japanese of every sentence the notice asks the catalogue for."""
        return SENTENCE.findall(self.subject) + SENTENCE.findall(self.body)


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    body: str


_templates: dict[str, MailTemplate] = {}


def register_template(name: str, template: MailTemplate) -> None:
    """Add (or replace) a notice; the sources are compiled now, so a typo fails at import."""
    for source in (template.subject, template.body):
        _compiled(source)
    _templates[name] = template


def template_names() -> list[str]:
    return sorted(_templates)


def template(name: str) -> MailTemplate:
    found = _templates.get(name)
    if found is None:
        raise UnknownTemplate(detail=name)
    return found


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """Compile each template text once: compiling costs ~3 ms, rendering ~0.04 ms."""
    return _env.from_string(source)


def render_in(name: str, lang: str, data: dict[str, Any]) -> RenderedMail:
    """The notice ``name`` in one language only (``ja`` or ``en``), without the footer."""
    notice = template(name)
    context = {**data, "lang": lang}
    try:
        subject, body = (_compiled(s).render(context).strip()
                         for s in (notice.subject, notice.body))
    except UndefinedError as exc:
        raise TemplateDataMissing(detail=f"{name}: {exc.message}") from None
    except KeyError as exc:
        raise TemplateDataMissing(detail=f"{name}: placeholder {exc} not given") from None
    except (TemplateError, ValueError, TypeError, IndexError) as exc:
        raise TemplateDataMissing(detail=f"{name}: {exc}") from None
    return RenderedMail(subject=subject, body=body)


def render(name: str, data: dict[str, Any]) -> RenderedMail:
    """The notice ``name`` for ``data``: one subject and one body, Japanese then English."""
    ja, en = (render_in(name, lang, data) for lang in LANGUAGES)
    body = (f"{ja.body}\n\n"
            f"―― English ――\n\n{en.body}\n\n{footer()}")
    return RenderedMail(subject=f"【Kinko】{ja.subject} / {en.subject}", body=body)


# --- the notices of authentication and transfers ----------------------------------------------

_S = sentence


def _auth(subject: str, text: str, more: str = "") -> MailTemplate:
    return MailTemplate(
        subject,
        f"{text}\n\n{line('日時：{at}', at='at|jst')}{more}\n"
        + sentence("お心当たりがない場合は、至急お取引店までご連絡ください。"),
    )


for _name, _template in {
    "auth.login": _auth(
        _S("ログインのお知らせ"), _S("インターネットバンキングにログインがありました。"),
        optional("ip", "接続元：{ip}")),
    "auth.locked": _auth(
        _S("ログインを一時停止しました"),
        _S("パスワードの誤りが所定の回数に達したため、ログインを一時停止しました。"),
        "{% if until %}" + line("停止解除：{until}（自動で解除されます）", until="until|jst")
        + "{% else %}" + line("解除にはお取引店でのお手続きが必要です。") + "{% endif %}"),
    "auth.blocked": _auth(
        _S("ご利用を停止しました（利用閉塞）"),
        _S("ログインの停止が所定の回数に達したため、ご利用を停止しました（利用閉塞）。"
           "再開にはお取引店でのお手続きが必要です。")),
    "auth.released": _auth(_S("ご利用を再開しました"), _S("ログインの停止を解除しました。")),
    "auth.secret_changed": _auth(
        _S("{kind}変更のお知らせ", kind="kind|secret"),
        _S("{kind}が変更されました。", kind="kind|secret")),
    "auth.settings_changed": _auth(
        _S("ご登録内容変更のお知らせ"),
        "{% if setting is defined %}"
        + _S("ご登録内容（{setting}）が変更されました。", setting="setting")
        + "{% else %}" + _S("ご登録内容が変更されました。") + "{% endif %}"),
    "auth.token_stopped": _auth(
        _S("ワンタイムパスワードを停止しました"),
        _S("ワンタイムパスワード（トークン）の利用を停止しました。")),
    "auth.soft_token_registered": _auth(
        _S("ソフトウェアトークン登録のお知らせ"),
        _S("ソフトウェアトークン（スマートフォン）が登録されました。")),
    "auth.soft_token_deregistered": _auth(
        _S("ソフトウェアトークン登録解除のお知らせ"),
        _S("ソフトウェアトークン（スマートフォン）の登録が解除されました。")),
}.items():
    register_template(_name, _template)


_TRANSFER = (
    line("受付番号：{reference}", reference="reference")
    + line("振込先：{payee}", payee="payee")
    + line("金額：{amount}", amount="amount|yen")
    + optional("fee", "手数料：{fee}", "fee|yen")
    + optional("value_date", "振込指定日：{value_date}", "value_date|date")
)
REASON = line("理由：{reason}", reason="reason")


def _transfer(subject: str, text: str, more: str = "") -> MailTemplate:
    return MailTemplate(_S(subject), f"{_S(text)}\n\n{_TRANSFER}{more}")


for _name, _template in {
    "transfer.accepted": _transfer(
        "お振込のご依頼を受け付けました",
        "以下のお振込のご依頼を受け付けました。まだ確定していません。"),
    "transfer.confirmed": _transfer(
        "お振込のご依頼が確定しました",
        "以下のお振込のご依頼が確定しました。確定後の取消・変更はできません。"),
    "transfer.executed": _transfer("お振込を実行しました", "以下のお振込を実行しました。"),
    "transfer.not_established": _transfer(
        "お振込が成立しませんでした",
        "以下のお振込は成立しませんでした（ご依頼はなかったものとして取り扱います）。", REASON),
    "transfer.returned": _transfer(
        "お振込が返却されました",
        "以下のお振込は振込先の金融機関から返却されました。振込金額はお支払口座にご入金しました。"
        "振込手数料はお返ししません。", REASON),
    "transfer.incoming": MailTemplate(
        _S("ご入金のお知らせ"),
        line("お客さまの口座にお振込がありました。") + "\n"
        + line("入金口座：{account}", account="account")
        + line("金額：{amount}", amount="amount|yen")
        + line("振込依頼人：{remitter}", remitter="remitter")
        + "{% if bank|default('') %}"
        + line("仕向金融機関：{bank}", bank="(bank ~ ' ' ~ branch|default('')).strip()")
        + "{% endif %}"
        + "{% if edi|default('') %}" + line("EDI情報：{edi}", edi="edi") + "{% endif %}"
        + _S("入金日：{value_date}", value_date="value_date|date")),
}.items():
    register_template(_name, _template)
