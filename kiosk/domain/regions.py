"""Addresses for the contact form: Fujian province → cities → districts (GB/T 2260 codes).

Fujian first (the kiosk serves Fuzhou); other provinces can be added as rows. A residence
address is ``province + city + district`` from this table plus a short free-text detail.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCES: dict[str, str] = {"350000": "福建省"}

CITIES: dict[str, tuple[str, str]] = {  # code -> (province code, name)
    "350100": ("350000", "福州市"),
    "350200": ("350000", "厦门市"),
    "350300": ("350000", "莆田市"),
    "350400": ("350000", "三明市"),
    "350500": ("350000", "泉州市"),
    "350600": ("350000", "漳州市"),
    "350700": ("350000", "南平市"),
    "350800": ("350000", "龙岩市"),
    "350900": ("350000", "宁德市"),
}

CITIES_EN: dict[str, str] = {  # code -> the city's name in English (pinyin)
    "350100": "Fuzhou", "350200": "Xiamen", "350300": "Putian", "350400": "Sanming", "350500": "Quanzhou",
    "350600": "Zhangzhou", "350700": "Nanping", "350800": "Longyan", "350900": "Ningde",
}


def city_name(code: str, lang: str = "zh") -> str:
    """A city's name for its region code (a card's ``city``); a code not in the table as given."""
    if lang == "en" and code in CITIES_EN:
        return CITIES_EN[code]
    return CITIES[code][1] if code in CITIES else code


DISTRICTS: dict[str, tuple[str, str]] = {  # code -> (city code, name)
    "350102": ("350100", "鼓楼区"), "350103": ("350100", "台江区"), "350104": ("350100", "仓山区"),
    "350105": ("350100", "马尾区"), "350111": ("350100", "晋安区"), "350112": ("350100", "长乐区"),
    "350121": ("350100", "闽侯县"), "350122": ("350100", "连江县"), "350123": ("350100", "罗源县"),
    "350124": ("350100", "闽清县"), "350125": ("350100", "永泰县"), "350128": ("350100", "平潭县"),
    "350181": ("350100", "福清市"),
    "350203": ("350200", "思明区"), "350205": ("350200", "海沧区"), "350206": ("350200", "湖里区"),
    "350211": ("350200", "集美区"), "350212": ("350200", "同安区"), "350213": ("350200", "翔安区"),
    "350302": ("350300", "城厢区"), "350303": ("350300", "涵江区"), "350304": ("350300", "荔城区"),
    "350305": ("350300", "秀屿区"), "350322": ("350300", "仙游县"),
    "350404": ("350400", "三元区"), "350405": ("350400", "沙县区"), "350481": ("350400", "永安市"),
    "350502": ("350500", "鲤城区"), "350503": ("350500", "丰泽区"), "350504": ("350500", "洛江区"),
    "350505": ("350500", "泉港区"), "350581": ("350500", "石狮市"), "350582": ("350500", "晋江市"),
    "350583": ("350500", "南安市"),
    "350602": ("350600", "芗城区"), "350603": ("350600", "龙文区"), "350681": ("350600", "龙海区"),
    "350702": ("350700", "延平区"), "350703": ("350700", "建阳区"), "350781": ("350700", "邵武市"),
    "350782": ("350700", "武夷山市"),
    "350802": ("350800", "新罗区"), "350803": ("350800", "永定区"), "350881": ("350800", "漳平市"),
    "350902": ("350900", "蕉城区"), "350981": ("350900", "福安市"), "350982": ("350900", "福鼎市"),
}  # fmt: skip

DETAIL_MIN, DETAIL_MAX = 2, 60


@dataclass(frozen=True)
class Address:
    district_code: str
    detail: str

    @property
    def city_code(self) -> str:
        return DISTRICTS[self.district_code][0]

    def text(self) -> str:
        city = CITIES[self.city_code]
        return PROVINCES[city[0]] + city[1] + DISTRICTS[self.district_code][1] + self.detail


def cities_of(province_code: str) -> list[tuple[str, str]]:
    return [(c, name) for c, (p, name) in CITIES.items() if p == province_code]


def districts_of(city_code: str) -> list[tuple[str, str]]:
    return [(d, name) for d, (c, name) in DISTRICTS.items() if c == city_code]


def parse_address(value: str) -> tuple[Address | None, tuple[str, ...]]:
    """``"<district code>|<detail>"`` from the form → an Address, or the reasons it is not one."""
    code, _, detail = value.partition("|")
    detail = detail.strip()
    reasons: list[str] = []
    if code not in DISTRICTS:
        reasons.append("reason.address_district")
    if not DETAIL_MIN <= len(detail) <= DETAIL_MAX:
        reasons.append("reason.address_detail")
    if reasons:
        return None, tuple(reasons)
    return Address(code, detail), ()
