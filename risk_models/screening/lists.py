"""Sanctions lists read into one shape: entries with their names, aliases, dates of birth,
nationalities and programmes, and every line a reader could not take, by line number."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from risk_models.screening.countries import country_code
from risk_models.screening.dates import PartialDate

EntryKind = Literal["individual", "entity", "vessel", "aircraft"]
ENTRY_KINDS: tuple[EntryKind, ...] = ("individual", "entity", "vessel", "aircraft")

BUNDLED_OFAC_FILE = "ofac_sdn_2024-05-03.csv"


@dataclass(frozen=True)
class ListEntry:
    """One listed person, entity, vessel or aircraft.

    Attributes
    ----------
    entry_id : str
        The list's own identifier (OFAC's ``ent_num``, OpenSanctions' ``id``).
    kind : {"individual", "entity", "vessel", "aircraft"}
        Only ``individual`` entries are persons; a person is never screened against the others.
    name : str
        The primary name as the list writes it (OFAC: ``SURNAME, Given Names``).
    aliases : tuple of str
        Other names the list gives: a.k.a., f.k.a. and n.k.a. names, quotes stripped.
    birth_dates : tuple of PartialDate
        Every date of birth the list states, alternatives included.
    nationalities : tuple of str
        ISO 3166-1 alpha-2 codes of stated nationalities and citizenships.
    programs : tuple of str
        The sanctions programmes the entry is listed under.
    """

    entry_id: str
    kind: EntryKind
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[PartialDate, ...] = ()
    nationalities: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; dates in the text form of ``PartialDate``."""
        return {
            "entry_id": self.entry_id,
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "birth_dates": [d.to_text() for d in self.birth_dates],
            "nationalities": list(self.nationalities),
            "programs": list(self.programs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListEntry:
        """The entry that ``to_dict`` wrote."""
        kind = data["kind"]
        if kind not in ENTRY_KINDS:
            raise ValueError(f"unknown entry kind {kind!r}")
        return cls(
            entry_id=str(data["entry_id"]),
            kind=cast(EntryKind, kind),
            name=str(data["name"]),
            aliases=tuple(data.get("aliases", ())),
            birth_dates=tuple(PartialDate.parse(d) for d in data.get("birth_dates", ())),
            nationalities=tuple(data.get("nationalities", ())),
            programs=tuple(data.get("programs", ())),
        )


@dataclass(frozen=True)
class LineProblem:
    """A line of a list file that could not be read, or not wholly: its number (1-based) and
    what is wrong with it."""

    line: int
    message: str


@dataclass(frozen=True)
class ParsedList:
    """A list file as read: its name, the sha256 of its raw bytes, its entries and problems.

    A line with a problem is either left out of ``entries`` (it could not be read as an entry
    at all) or kept with what could be read of it; either way it is in ``problems``, so nothing
    is dropped without a trace.
    """

    list_name: str
    sha256: str
    entries: tuple[ListEntry, ...]
    problems: tuple[LineProblem, ...]


def bundled_ofac_path() -> Path:
    """Path of the bundled OFAC SDN list (as published on 2024-05-03)."""
    return Path(str(resources.files("risk_models").joinpath(f"data/{BUNDLED_OFAC_FILE}")))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older OFAC files and hand-saved spreadsheets are Windows-1252; that decoding is the
        # best reading of any byte it does not define.
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- OFAC SDN (legacy sdn.csv)

OFAC_SDN_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage",
    "GRT", "Vess_flag", "Vess_owner", "Remarks",
)
_OFAC_EMPTY = "-0-"
_OFAC_KINDS: dict[str, EntryKind] = {
    "individual": "individual", "vessel": "vessel", "aircraft": "aircraft", "": "entity",
}
_DOS_EOF = "\x1a"
# An alias runs from its opening quote to the quote that ends the clause: alias names carry
# apostrophes of their own ('ABD-AL-'IZ', 'AL-WARD, 'Abd'), so the closing quote is the one
# followed by the clause separator or the end of the remarks.
_OFAC_ALIAS = re.compile(r"\b[afn]\.k\.a\.\s*'(.*?)'(?=\s*;|\s*\.?\s*$)", re.DOTALL)
_OFAC_DOB = re.compile(r"^(?:alt\.\s+)?DOB\s+(.+)$")
_OFAC_NATIONALITY = re.compile(r"^(?:alt\.\s+)?(?:nationality|citizen)\s+(.+)$", re.IGNORECASE)


def parse_ofac_sdn(data: bytes, list_name: str = "ofac-sdn") -> ParsedList:
    """Read OFAC's SDN list in its legacy ``sdn.csv`` layout.

    No header; 12 columns (``OFAC_SDN_COLUMNS``); ``-0-`` is an empty cell; CRLF or LF line
    ends; a DOS end-of-file byte (0x1A) on the last line is the end of the file. Empty lines
    carry nothing and are passed over.

    Parameters
    ----------
    data : bytes
        The file's raw bytes (their sha256 identifies the list version screened against).
    list_name : str
        The name screening results cite for this list.

    Returns
    -------
    ParsedList
        Entries in file order. A line with the wrong column count, a non-numeric ``ent_num``,
        no name, an unknown type or broken quoting is a ``LineProblem`` and not an entry; an
        entry with a date of birth that cannot be read is kept without that date, and the
        date is reported as a problem of its line.
    """
    lines = _decode(data).split("\n")
    # The end-of-file byte may stand alone on the last line or close the last record's line.
    while lines and lines[-1].strip() in ("", _DOS_EOF):
        lines.pop()
    if lines and lines[-1].endswith(_DOS_EOF):
        lines[-1] = lines[-1][: -len(_DOS_EOF)]
    entries: list[ListEntry] = []
    problems: list[LineProblem] = []
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r")
        if not line.strip():
            continue
        entry, line_problems = _ofac_line(line)
        problems.extend(LineProblem(number, message) for message in line_problems)
        if entry is not None:
            entries.append(entry)
    return ParsedList(
        list_name=list_name,
        sha256=hashlib.sha256(data).hexdigest(),
        entries=tuple(entries),
        problems=tuple(problems),
    )


def _ofac_line(line: str) -> tuple[ListEntry | None, list[str]]:
    """The entry on one line of sdn.csv, and what is wrong with the line."""
    if _DOS_EOF in line:
        return None, ["DOS end-of-file byte (0x1A) before the end of the file"]
    try:
        cells = next(csv.reader([line], strict=True))
    except csv.Error as error:
        return None, [f"unreadable CSV: {error}"]
    if len(cells) != len(OFAC_SDN_COLUMNS):
        return None, [f"expected {len(OFAC_SDN_COLUMNS)} columns, found {len(cells)}"]
    values = dict(zip(OFAC_SDN_COLUMNS, (_ofac_cell(c) for c in cells), strict=True))
    if not values["ent_num"].isdigit():
        return None, [f"ent_num {values['ent_num']!r} is not a number"]
    if not values["SDN_Name"]:
        return None, [f"entry {values['ent_num']} has no name"]
    kind = _OFAC_KINDS.get(values["SDN_Type"].lower())
    if kind is None:
        return None, [f"entry {values['ent_num']} has unknown type {values['SDN_Type']!r}"]
    aliases, birth_dates, nationalities, problems = _ofac_remarks(values["Remarks"])
    programs = tuple(p.strip(" []") for p in values["Program"].split("] [") if p.strip(" []"))
    entry = ListEntry(
        entry_id=values["ent_num"],
        kind=kind,
        name=values["SDN_Name"],
        aliases=aliases,
        birth_dates=birth_dates,
        nationalities=nationalities,
        programs=programs,
    )
    return entry, problems


def _ofac_cell(cell: str) -> str:
    value = cell.strip()
    return "" if value == _OFAC_EMPTY else value


def _ofac_remarks(
    remarks: str,
) -> tuple[tuple[str, ...], tuple[PartialDate, ...], tuple[str, ...], list[str]]:
    """Aliases, dates of birth and nationality codes stated in an SDN entry's remarks."""
    aliases = [m.group(1).strip().strip("'").strip() for m in _OFAC_ALIAS.finditer(remarks)]
    rest = _OFAC_ALIAS.sub("", remarks)
    birth_dates: list[PartialDate] = []
    nationalities: list[str] = []
    problems: list[str] = []
    for part in rest.split(";"):
        clause = part.strip().rstrip(".").strip()
        dob = _OFAC_DOB.match(clause)
        if dob:
            try:
                birth_dates.append(PartialDate.from_ofac(dob.group(1)))
            except ValueError:
                problems.append(f"unreadable date of birth {clause!r}")
            continue
        nationality = _OFAC_NATIONALITY.match(clause)
        if nationality:
            code = country_code(nationality.group(1))
            # Unknown or vague wordings ("possibly Palestinian") give no code: left out.
            if code is not None and code not in nationalities:
                nationalities.append(code)
    return (
        tuple(dict.fromkeys(a for a in aliases if a)),
        tuple(dict.fromkeys(birth_dates)),
        tuple(nationalities),
        problems,
    )


# ------------------------------------------------------- OpenSanctions targets.simple.csv

OPENSANCTIONS_SIMPLE_COLUMNS = (
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers",
    "sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change",
)
_OPENSANCTIONS_REQUIRED = ("id", "schema", "name")
_OPENSANCTIONS_KINDS: dict[str, EntryKind] = {
    "Person": "individual", "Vessel": "vessel", "Airplane": "aircraft",
}


def parse_opensanctions_simple(data: bytes, list_name: str = "opensanctions") -> ParsedList:
    """Read OpenSanctions' ``targets.simple.csv`` export.

    A header row names the columns (``OPENSANCTIONS_SIMPLE_COLUMNS``; read by name, so older
    exports without ``last_change`` read too). Multi-valued cells hold their values joined by
    ``;``, themselves CSV-quoted when a value contains ``;``. ``schema`` ``Person`` is an
    individual, ``Vessel`` a vessel, ``Airplane`` an aircraft, anything else an entity.
    ``countries`` are lower-case alpha-2 codes (any country the entity is linked to, not only
    nationalities); codes that are not two letters (historical states) are left out.

    Parameters
    ----------
    data : bytes
        The file's raw bytes.
    list_name : str
        The name screening results cite for this list.

    Returns
    -------
    ParsedList
        As ``parse_ofac_sdn``; line numbers are those of the line a record starts on.
    """
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    entries: list[ListEntry] = []
    problems: list[LineProblem] = []
    digest = hashlib.sha256(data).hexdigest()
    try:
        header = next(reader, None)
    except csv.Error as error:
        return ParsedList(list_name, digest, (), (LineProblem(1, f"unreadable CSV: {error}"),))
    missing = [c for c in _OPENSANCTIONS_REQUIRED if header is None or c not in header]
    if header is None or missing:
        problem = LineProblem(1, f"header lacks the column(s) {', '.join(missing)}")
        return ParsedList(list_name, digest, (), (problem,))
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(LineProblem(start, f"unreadable CSV: {error}"))
            start = reader.line_num + 1
            continue
        entry, messages = _opensanctions_row(header, cells)
        problems.extend(LineProblem(start, message) for message in messages)
        if entry is not None:
            entries.append(entry)
        start = reader.line_num + 1
    return ParsedList(list_name, digest, tuple(entries), tuple(problems))


def _opensanctions_row(header: list[str], cells: list[str]) -> tuple[ListEntry | None, list[str]]:
    if not any(c.strip() for c in cells):
        return None, []
    if len(cells) != len(header):
        return None, [f"expected {len(header)} columns, found {len(cells)}"]
    values = dict(zip(header, cells, strict=True))
    entry_id, name = values["id"].strip(), values["name"].strip()
    if not entry_id:
        return None, ["row has no id"]
    if not name:
        return None, [f"entry {entry_id} has no name"]
    problems: list[str] = []
    birth_dates: list[PartialDate] = []
    for value in _multi(values.get("birth_date", "")):
        try:
            birth_dates.append(PartialDate.parse(value))
        except ValueError:
            problems.append(f"unreadable date of birth {value!r} of entry {entry_id}")
    countries = [c.upper() for c in _multi(values.get("countries", ""))
                 if len(c) == 2 and c.isalpha()]
    entry = ListEntry(
        entry_id=entry_id,
        kind=_OPENSANCTIONS_KINDS.get(values["schema"].strip(), "entity"),
        name=name,
        aliases=tuple(dict.fromkeys(a for a in _multi(values.get("aliases", "")) if a != name)),
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        nationalities=tuple(dict.fromkeys(countries)),
        programs=tuple(_multi(values.get("sanctions", ""))),
    )
    return entry, problems


def _multi(cell: str) -> list[str]:
    """The values of a multi-valued cell: ``;``-separated, CSV-quoted where needed."""
    if not cell.strip():
        return []
    values = next(csv.reader([cell], delimiter=";"))
    return [v.strip() for v in values if v.strip()]
