"""A rendered PDF carries its Japanese text, readable back, over several pages when long."""

from __future__ import annotations

import io

from pypdf import PdfReader

from kinko.documents.pdf import Document, render


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_japanese_text_reads_back() -> None:
    pdf = render(Document(title="ご利用開始のお知らせ", addressee=["〒100-0001", "山田 太郎 様"],
                          issuer=["金庫銀行"], body=["ログインIDをお知らせします。"],
                          table=[["項目", "内容"], ["ログインID", "YAMADA01"]]))
    assert pdf.startswith(b"%PDF")
    pages, text = _text(pdf)
    assert pages == 1
    for expected in ("ご利用開始のお知らせ", "山田 太郎 様", "金庫銀行", "YAMADA01"):
        assert expected in text


def test_long_tables_flow_onto_more_pages() -> None:
    rows = [[f"{i:04d}", "振込", f"{i * 1000:,}円"] for i in range(120)]
    pages, text = _text(render(Document(title="明細", table=rows, footer="金庫銀行")))
    assert pages >= 3
    assert "0119" in text and "119,000円" in text
