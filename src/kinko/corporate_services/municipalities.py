"""The municipalities the bank pays special-collection local tax to (当行所定の地方公共団体,
002 第5条8(1)), by 全国地方公共団体コード (6 digits with the check digit). A simulated list:
a bank replaces it with the municipalities it has agreements with."""

from __future__ import annotations

MUNICIPALITIES: dict[str, str] = {
    "011002": "札幌市",
    "041009": "仙台市",
    "131016": "東京都千代田区",
    "131024": "東京都中央区",
    "131032": "東京都港区",
    "131041": "東京都新宿区",
    "131130": "東京都渋谷区",
    "141003": "横浜市",
    "141305": "川崎市",
    "231002": "名古屋市",
    "261009": "京都市",
    "271004": "大阪市",
    "281000": "神戸市",
    "401005": "北九州市",
    "401307": "福岡市",
}


def name_of(code: str) -> str | None:
    return MUNICIPALITIES.get(code)
