"""Phone numbers and e-mail addresses in every spelling a person types are masked before a
survey cell is stored: generated spellings (hypothesis), not a list. Full-width digits and ＠,
dashes of every kind, spaces around separators, `+82`, `+82 (0)` and `0082` prefixes."""

from __future__ import annotations

import unicodedata

import pytest
from helpers import query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.runner import ingest_paths
from pipelines.ingest.sources.survey import MASK, mask_personal

pytestmark = pytest.mark.slow

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
SEPARATORS = ["", "-", " ", ".", " - ", " . ", "–", "—", "−", "‐", "\u3000", "  ", "\u00a0"]
PREFIXES = ["0", "+82 ", "+82-", "+82", "+82 (0)", "+82-(0)", "0082-", "0082 ", "0082", "+82 0", "＋８２ "]
AREAS = ["10", "11", "16", "17", "19", "2", "31", "32", "33", "41", "42", "43", "51", "52", "53", "54", "55", "61"]
AREAS += ["62", "63", "64", "70"]
# text around a number: letters, Korean, punctuation and spaces, never a digit
CONTEXT = st.text(alphabet="연락처주세요 담당 문의abcXYZ,.:;!?[]/~ ", max_size=12)


def _digits(draw, n: int) -> str:
    return "".join(draw(st.sampled_from("0123456789")) for _ in range(n))


@st.composite
def phone_numbers(draw) -> str:
    """A Korean phone number as a person might type it."""
    prefix = draw(st.sampled_from(PREFIXES))
    area = draw(st.sampled_from(AREAS))
    middle = _digits(draw, 3 if area in ("2",) or draw(st.booleans()) else 4)
    number = "".join(
        [
            prefix,
            area,
            draw(st.sampled_from([*SEPARATORS, ")"])),
            middle,
            draw(st.sampled_from(SEPARATORS)),
            _digits(draw, 4),
        ]
    )
    if draw(st.booleans()):  # typed on a full-width keyboard
        number = "".join(FULL_WIDTH.get(c, c) for c in number)
    return number


@st.composite
def mail_addresses(draw) -> str:
    label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
    local = draw(label) + draw(st.sampled_from(["", ".", "_", "+", "-"])) + draw(label)
    at = draw(st.sampled_from(["@", "＠", "﹫"]))
    return f"{local}{at}{draw(label)}.{draw(st.sampled_from(['com', 'co.kr', 'or.kr', 'net']))}"


def _only_digits(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


@settings(max_examples=500, deadline=None)
@given(CONTEXT, phone_numbers(), CONTEXT)
def test_every_spelling_of_a_phone_number_is_masked(before, number, after):
    masked = mask_personal(f"{before}{number}{after}")
    assert MASK in masked and _only_digits(masked) == "", (number, masked)


@settings(max_examples=200, deadline=None)
@given(CONTEXT, mail_addresses(), CONTEXT)
def test_every_spelling_of_an_e_mail_address_is_masked(before, mail, after):
    masked = mask_personal(f"{before} {mail} {after}")
    assert MASK in masked and "@" not in unicodedata.normalize("NFKC", masked), (mail, masked)


HEADER = "타임스탬프,기업번호,기업단계,[동의] 열린 수출상담회,[중요도] 열린 수출상담회,의견"


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(phone_numbers(), mail_addresses()), min_size=8, max_size=8, unique=True))
def test_no_generated_contact_reaches_the_warehouse_file(tmp_path_factory, contacts):
    folder = tmp_path_factory.mktemp("spellings")
    rows = [
        f'2023. 12. 4 오후 3:{10 + k}:00,202-81-{10011 + k:05d},성장,4,3,"문의는 {c} 로 주세요"'
        for k, c in enumerate(contacts)
    ]
    path = folder / "2023_만족도.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    warehouse = folder / "w.duckdb"
    [result] = ingest_paths(warehouse, [path])
    assert (result.status, result.accepted) == ("loaded", 2 * len(contacts))
    comments = [c for (c,) in query(warehouse, "SELECT payload->>'comment' FROM events.event_store")]
    assert comments and all(c == f"문의는 {MASK} 로 주세요" for c in comments)
    stored = b"".join(p.read_bytes() for p in folder.glob("w.duckdb*") if p.is_file())
    for contact in contacts:
        for spelling in {contact, unicodedata.normalize("NFKC", contact)}:
            assert spelling.encode() not in stored, spelling
