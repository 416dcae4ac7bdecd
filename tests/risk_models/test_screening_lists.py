"""Reading sanctions lists: the bundled OFAC SDN file, broken lines, OpenSanctions' export."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from risk_models.screening.dates import PartialDate
from risk_models.screening.lists import (
    LineProblem,
    ListEntry,
    bundled_ofac_path,
    parse_ofac_sdn,
    parse_opensanctions_simple,
)

DATA = Path(__file__).parent / "data"
OFAC_SHA256 = "210ca6b4a8187a34e0850be69ecc6e918f23ad7778b8b5b2f9c9d5fbbaf4e0cb"


@pytest.fixture(scope="module")
def sdn():
    return parse_ofac_sdn(bundled_ofac_path().read_bytes())


@pytest.fixture(scope="module")
def by_id(sdn):
    return {entry.entry_id: entry for entry in sdn.entries}


def test_bundled_list_is_the_published_file():
    raw = bundled_ofac_path().read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OFAC_SHA256
    # As OFAC publishes it: CRLF line ends and a DOS end-of-file byte on a line of its own.
    assert raw.endswith(b"\r\n\x1a")


def test_bundled_list_parses_every_entry_without_problems(sdn):
    assert sdn.list_name == "ofac-sdn"
    assert sdn.sha256 == OFAC_SHA256
    assert len(sdn.entries) == 14_965
    assert sdn.problems == ()
    kinds = [entry.kind for entry in sdn.entries]
    assert kinds.count("individual") == 6_854
    assert kinds.count("vessel") == 851
    assert kinds.count("aircraft") == 376
    assert kinds.count("entity") == 6_884


def test_entry_ids_are_unique(sdn):
    assert len({entry.entry_id for entry in sdn.entries}) == len(sdn.entries)


def test_full_date_of_birth_is_read(by_id):
    abbas = by_id["2674"]
    assert abbas.name == "ABBAS, Abu"
    assert abbas.kind == "individual"
    assert abbas.birth_dates == (PartialDate.parse("1948-12-10"),)
    assert abbas.programs == ("SDGT",)


def test_alternative_and_year_only_dates_and_nationality_are_read(by_id):
    kim = by_id["11648"]  # "DOB 1964; alt. DOB 28 Aug 1962; nationality Korea, North"
    assert [str(d) for d in kim.birth_dates] == ["1964", "1962-08-28"]
    assert kim.nationalities == ("KP",)
    assert kim.aliases == ("KIM, JIN SOK",)


def test_month_dates_and_year_ranges_are_read(by_id):
    naqdi = by_id["12057"]  # "DOB 1951 to 1953; alt. DOB 1960 to 1962; alt. DOB Apr 1961; ..."
    assert [str(d) for d in naqdi.birth_dates] == ["1951/1953", "1960/1962", "1961-04", "1953"]
    assert naqdi.birth_dates[0].contains(date(1952, 6, 1))
    assert not naqdi.birth_dates[0].contains(date(1954, 1, 1))
    assert naqdi.programs[:3] == ("SDGT", "NPWMD", "IRGC")
    assert naqdi.nationalities == ("IR",)


def test_circa_dates_keep_their_year_and_say_so(by_id):
    (circa,) = by_id["10327"].birth_dates  # "DOB circa 1963"
    assert circa.circa and circa.contains_year(1963) and str(circa) == "1963~"


def test_aliases_keep_their_own_apostrophes(by_id):
    # 'AL-WARD, 'Abd': the alias's closing quote is the one before the clause separator.
    assert by_id["10327"].aliases == ("AL-WARD, Abu", "AL-WARD, 'Abd", "AL-WARUD, Abu", "NAIM, Abu")
    # ''FOOPIE'': doubled quotes around a nickname are quotes, not part of the name.
    assert "FOOPIE" in by_id["6925"].aliases


def test_nationality_and_citizenship_are_one_code_each(by_id):
    assert by_id["7928"].nationalities == ("ID",)  # nationality Indonesia; citizen Indonesia
    assert by_id["7928"].aliases == ("ABU MUAMAR", "ABU SETA", "MAHMUD", "AGUS SALIM")


def test_now_known_as_names_are_aliases(by_id):
    assert by_id["41920"].aliases == ("LGOK",)
    assert by_id["41920"].kind == "entity"


def test_malformed_lines_are_reported_with_their_line_numbers():
    parsed = parse_ofac_sdn((DATA / "ofac_sdn_malformed.csv").read_bytes())
    assert [e.entry_id for e in parsed.entries] == ["2674", "7928", "9998"]
    assert parsed.problems == (
        LineProblem(2, "ent_num 'X12' is not a number"),
        LineProblem(4, "expected 12 columns, found 4"),
        LineProblem(5, "unreadable date of birth 'DOB 31 Foo 1970'"),
    )
    # The entry with an unreadable date is kept with what could be read; an unknown country
    # name gives no code rather than an error.
    baddate = parsed.entries[-1]
    assert [str(d) for d in baddate.birth_dates] == ["1971"]
    assert baddate.nationalities == ()
    assert parsed.entries[1].aliases == ("ABU MUAMAR",)


def test_end_of_file_byte_in_the_middle_is_a_problem():
    good = b'1,"A, B","individual","X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    parsed = parse_ofac_sdn(good + b"\x1a\r\n" + good.replace(b"1,", b"2,"))
    assert [e.entry_id for e in parsed.entries] == ["1", "2"]
    assert [p.line for p in parsed.problems] == [2]


def test_unterminated_quote_is_a_problem_not_a_crash():
    parsed = parse_ofac_sdn(b'1,"A, B,"individual"\n')
    assert parsed.entries == ()
    assert parsed.problems[0].line == 1


def test_entries_round_trip_through_json(sdn):
    for entry in sdn.entries[:: 50]:
        assert ListEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


def test_partial_dates_round_trip_through_text():
    for text in ["1948-12-10", "1958", "1961-04", "1960/1962", "1963~", "1960-01-01/1962-12-31"]:
        assert str(PartialDate.parse(text)) == text
    assert PartialDate.from_ofac("circa 1960-1962") == PartialDate.parse("1960/1962~")
    assert PartialDate.from_ofac("Dec 1960 to Jan 1962").end == date(1962, 1, 31)
    with pytest.raises(ValueError):
        PartialDate.from_ofac("sometime in 1960")


def test_opensanctions_simple_export_is_read():
    parsed = parse_opensanctions_simple((DATA / "opensanctions_targets_simple.csv").read_bytes())
    assert parsed.list_name == "opensanctions"
    entries = {entry.entry_id: entry for entry in parsed.entries}
    assert list(entries) == [
        "NK-example-person", "NK-example-company", "NK-example-vessel", "NK-example-plane",
        "NK-example-baddate",
    ]
    person = entries["NK-example-person"]
    assert person.kind == "individual"
    # A value holding the separator is CSV-quoted inside the cell.
    assert person.aliases == ("Ivan Sidorov", "Иван Петрович Сидоров", "Sidorov; Ivan")
    assert [str(d) for d in person.birth_dates] == ["1961-04-12", "1962"]
    # "suhh" (the Soviet Union) is not an alpha-2 code and is left out.
    assert person.nationalities == ("RU",)
    assert person.programs == ("Example programme - Example reason - 2022-03-15",)
    assert entries["NK-example-company"].kind == "entity"
    assert entries["NK-example-vessel"].kind == "vessel"
    assert entries["NK-example-plane"].kind == "aircraft"
    assert parsed.problems == (
        LineProblem(6, "unreadable date of birth '12/04/1970' of entry NK-example-baddate"),
        LineProblem(7, "expected 15 columns, found 5"),
    )
    assert [str(d) for d in entries["NK-example-baddate"].birth_dates] == ["1970-04"]


def test_opensanctions_file_without_the_needed_columns_is_one_problem():
    parsed = parse_opensanctions_simple(b"id,caption\nx,y\n")
    assert parsed.entries == ()
    assert parsed.problems == (LineProblem(1, "header lacks the column(s) schema, name"),)
