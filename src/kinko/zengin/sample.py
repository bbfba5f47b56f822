"""Deterministic sample files for the benchmark, the tests and demos.

Names mix plain and voiced kana, company prefixes such as ｶ) and spaces, as real payee lists
do, so that a fast path tuned on toy data cannot look better than it is.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from kinko.zengin import records as r
from kinko.zengin.model import ZenginFile
from kinko.zengin.writer import build_file, build_group

_SYLLABLES = ["ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ",
              "ﾁ", "ﾂ", "ﾃ", "ﾄ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ﾏ", "ﾐ",
              "ﾑ", "ﾒ", "ﾓ", "ﾔ", "ﾕ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ﾝ", "ｶﾞ", "ｷﾞ",
              "ｸﾞ", "ｹﾞ", "ｺﾞ", "ｻﾞ", "ｼﾞ", "ｽﾞ", "ﾀﾞ", "ﾃﾞ", "ﾄﾞ", "ﾊﾞ", "ﾋﾞ", "ﾌﾞ", "ﾎﾞ",
              "ﾊﾟ", "ﾋﾟ", "ﾌﾟ", "ﾍﾟ", "ﾎﾟ"]
_BANKS = [("0001", "ﾐｽﾞﾎ"), ("0005", "ﾐﾂﾋﾞｼUFJ"), ("0009", "ﾐﾂｲｽﾐﾄﾓ"), ("0010", "ﾘｿﾅ"),
          ("0168", "ﾁﾕｳｺﾞｸ"), ("0137", "ｷﾗﾎﾞｼ"), ("9900", "ﾕｳﾁﾖ")]


def _word(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(low, high)))


def payee_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        name = f"ｶ){_word(rng, 3, 8)}"
    elif roll < 0.3:
        name = f"{_word(rng, 3, 8)}(ﾕ"
    else:
        name = f"{_word(rng, 2, 5)} {_word(rng, 2, 4)}"
    return name[:30].rstrip(" ")


def transfer_file(records: int, *, value_date: date, seed: int = 21,
                  edi_every: int = 0) -> ZenginFile:
    """A 総合振込 file of ``records`` payees; every ``edi_every``-th uses EDI information."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    header = r.TransferHeader(
        originator_code="1234567890", originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ", value_date=value_date,
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
        account_type="1", account_number="1234567")
    data = []
    for i in range(records):
        bank_code, bank_name = rng.choice(_BANKS)
        edi = bool(edi_every) and i % edi_every == 0
        data.append(r.TransferData(
            bank_code=bank_code, bank_name=bank_name, branch_code=f"{rng.randint(1, 999):03d}",
            branch_name=_word(rng, 2, 6), account_type=rng.choice("1112"),
            account_number=f"{rng.randint(0, 9_999_999):07d}", payee_name=payee_name(rng),
            amount=rng.randint(1, 9_999_999), new_code="0",
            customer_code1=f"{i:010d}" if not edi else "0" * 10,
            edi_flag=edi, edi_info=f"INV{i:08d}" if edi else ""))
    return build_file([build_group(header, data)])


def notice_file(records: int, *, day: date, seed: int = 1) -> ZenginFile:
    """A 振込入金通知 (01) file for one account and one day."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    header = r.NoticeHeader(created=day, period_from=day, period_to=day, bank_code="0168",
                            bank_name="ﾁﾕｳｺﾞｸ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
                            account_type="1", account_number="1234567",
                            account_name="ｶ)ｷﾝｺｼﾖｳｼﾞ")
    data = [r.NoticeData(inquiry_number=f"{i + 1:06d}", booking_date=day, value_date=day,
                         amount=rng.randint(1, 9_999_999), remitter_code="0000000000",
                         remitter_name=payee_name(rng), sending_bank_name="ﾐｽﾞﾎ",
                         sending_branch_name=_word(rng, 2, 5))
            for i in range(records)]
    return build_file([build_group(header, data)])


def statement_file(records: int, *, day: date, seed: int = 3) -> ZenginFile:
    """An 入出金取引明細 (03) file for one ordinary account over the week to ``day``."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    start = day - timedelta(days=6)
    header = r.StatementHeader(created=day, period_from=start, period_to=day,
                               bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001",
                               branch_name="ﾎﾝﾃﾝ", account_type="1",
                               account_number="0001234567", account_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
                               opening_balance=50_000_000)
    data = []
    for i in range(records):
        deposit = rng.random() < 0.6
        booked = start + timedelta(days=rng.randint(0, 6))
        data.append(r.StatementData(
            inquiry_number=f"{i + 1:08d}", booking_date=booked, value_date=booked,
            direction="1" if deposit else "2", transaction_kind="11" if deposit else "14",
            amount=rng.randint(1, 99_999), remitter_name=payee_name(rng) if deposit else "",
            description="ﾌﾘｺﾐ" if deposit else "ﾌﾘｶｴ"))
    return build_file([build_group(header, data)])
