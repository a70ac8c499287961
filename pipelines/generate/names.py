"""Words that make generated rows look like a real centre's log: firms, products, importers, staff.

Importer and staff names are plain ASCII or Hangul so that every file can also be saved as CP949
(Vietnamese diacritics are not in that code page).
"""

from __future__ import annotations

import random

# Jeonbuk's 14 cities and counties (시군), the usual first word of a local firm's name
SIGUN = ("전주", "군산", "익산", "정읍", "남원", "김제", "완주", "진안", "무주", "장수", "임실", "순창", "고창", "부안")
BRANDS = (
    "한울",
    "새만금",
    "모악",
    "대아",
    "다온",
    "마이산",
    "내장",
    "변산",
    "덕유",
    "온누리",
    "해들",
    "청맥",
    "솔빛",
    "가온",
    "참",
)

# product group -> (name words, products); groups follow the report's list of centre-firm products
PRODUCT_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "가공식품": (
        ("식품", "푸드", "농산", "발효", "장류", "F&B"),
        ("김치", "고추장", "홍삼음료", "유자차", "한과", "복분자주", "김스낵", "즉석밥", "참기름", "쌀국수"),
    ),
    "화장품": (
        ("코스메틱", "뷰티", "화장품", "바이오코스"),
        ("마스크팩", "선크림", "기초화장품 세트", "한방샴푸", "쿠션팩트", "천연비누"),
    ),
    "생활용품": (("리빙", "생활산업", "산업"), ("주방세제", "한지 공예품", "물티슈", "밀폐용기", "위생장갑")),
    "기계부품": (("정밀", "기계", "테크", "엔지니어링"), ("베어링", "유압실린더", "감속기", "금형부품", "산업용 밸브")),
    "농기계": (("농기계", "아그리텍", "농업기계"), ("트랙터 부품", "이앙기", "농업용 드론", "관수장비")),
    "특수차량": (("특장", "모터스", "오토"), ("특장차", "소방차 부품", "탑차 바디", "청소차")),
    "농화학": (("화학", "케미칼", "바이오켐"), ("작물보호제", "복합비료", "토양개량제")),
    "바이오소재": (
        ("바이오", "바이오텍", "생명과학", "카본"),
        ("발효 소재", "미생물 비료", "건강기능식품 원료", "탄소섬유"),
    ),
}
# Vietnam buys consumer goods from Jeonbuk SMEs, India vehicles and machinery (report ch. 2)
GROUP_WEIGHTS: dict[str, dict[str, float]] = {
    "hanoi": {"가공식품": 40, "화장품": 25, "생활용품": 15, "바이오소재": 10, "기계부품": 10},
    "new_delhi": {
        "기계부품": 30,
        "특수차량": 15,
        "농기계": 15,
        "농화학": 15,
        "바이오소재": 10,
        "가공식품": 10,
        "화장품": 5,
    },
}

_VN_FIRST = (
    "Minh",
    "Phat",
    "Thanh",
    "Hoang",
    "Viet",
    "An",
    "Phuc",
    "Tan",
    "Dai",
    "Hung",
    "Long",
    "Kim",
    "Sao",
    "Hai",
    "Quang",
    "Thai",
    "Duc",
    "Nam",
    "Bao",
    "Gia",
)
_VN_SECOND = ("Phat", "Long", "Thinh", "Loc", "Hung", "Anh", "Phu", "Tin", "Minh", "Hai", "Viet", "Dat")
_VN_FORM = (
    "Trading Co., Ltd",
    "JSC",
    "Import Export Co., Ltd",
    "Distribution JSC",
    "Co., Ltd",
    "Food JSC",
    "Cosmetics Co., Ltd",
)
_IN_NAME = (
    "Sharma",
    "Gupta",
    "Agarwal",
    "Mehta",
    "Singh",
    "Patel",
    "Kapoor",
    "Malhotra",
    "Jain",
    "Verma",
    "Reddy",
    "Iyer",
    "Bansal",
    "Chopra",
    "Khanna",
)
_IN_WORD = (
    "Agro",
    "Industries",
    "Enterprises",
    "Overseas",
    "Exim",
    "Motors",
    "Engineering",
    "Impex",
    "Trading",
    "Chemicals",
)
_IN_FORM = ("Pvt. Ltd.", "LLP", "Ltd.", "& Sons", "Pvt Ltd")

# centre head and staff, Korean and local (report: "센터장 1명, 직원 3명")
STAFF = {
    "hanoi": ("김지훈", "박서연", "Nguyen Thu Ha", "Tran Van Minh"),
    "new_delhi": ("이동현", "최유진", "Priya Sharma", "Rahul Verma"),
}

# tax-office-like first digits of Jeonbuk business registration numbers, and the type digits of
# corporations (81, 86, 87) and sole proprietors
_OFFICES = tuple(range(401, 419))
_KINDS = ("81", "81", "86", "87", "01", "05", "11", "22")
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_check_digit(first9: str) -> int:
    """The tenth digit of a Korean business registration number (국세청 checksum)."""
    digits = [int(c) for c in first9]
    total = sum(d * w for d, w in zip(digits, _BRN_WEIGHTS)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10


def new_brn(rng: random.Random, used: set[str]) -> str:
    """A fresh, checksum-valid number written `123-45-67890` (`used` only answers 'taken?')."""
    while True:
        first9 = f"{rng.choice(_OFFICES)}{rng.choice(_KINDS)}{rng.randint(0, 9999):04d}"
        full = first9 + str(brn_check_digit(first9))
        if full not in used:
            used.add(full)
            return f"{full[:3]}-{full[3:5]}-{full[5:]}"


def firm_name(rng: random.Random, group: str) -> str:
    stem = rng.choice(SIGUN) if rng.random() < 0.6 else rng.choice(BRANDS)
    word = rng.choice(PRODUCT_GROUPS[group][0])
    form = rng.random()
    if form < 0.35:
        return f"(주){stem}{word}"
    if form < 0.6:
        return f"{stem}{word}(주)"
    if form < 0.7 and group == "가공식품":
        return f"농업회사법인 {stem}{word}(주)"
    if form < 0.8:
        return f"{stem}{word} 주식회사"
    return f"{stem}{word}"


def product(rng: random.Random, group: str) -> str:
    return rng.choice(PRODUCT_GROUPS[group][1])


def product_group(rng: random.Random, center: str) -> str:
    table = GROUP_WEIGHTS[center]
    return rng.choices(list(table), weights=list(table.values()))[0]


def importer_name(rng: random.Random, center: str) -> str:
    if center == "hanoi":
        return f"{rng.choice(_VN_FIRST)} {rng.choice(_VN_SECOND)} {rng.choice(_VN_FORM)}"
    return f"{rng.choice(_IN_NAME)} {rng.choice(_IN_WORD)} {rng.choice(_IN_FORM)}"
