"""Deterministic PDF setup shared by all reports: document, footer, styles, tables, charts, formats.

The same inputs always give the same bytes: reportlab runs in invariant mode, the creation date
comes from the input's ``generated_at``, charts are PNGs without a software stamp.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Table, TableStyle

PAGE_SIZE = LETTER
MARGIN = 0.75 * inch
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
PRODUCER = "riskdesk"
MISSING = "—"

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
HEADER_BG = colors.HexColor("#243b53")
ZEBRA = colors.HexColor("#eef2f6")
RULE = colors.HexColor("#bcccdc")
ALERT = colors.HexColor("#b42318")


@dataclass(frozen=True)
class LedgerHead:
    """The ledger position a report was built against.

    Attributes
    ----------
    seq : int
        Sequence number of the newest ledger event included.
    hash : str
        That event's hash (hex).
    """

    seq: int
    hash: str


@dataclass(frozen=True)
class Provenance:
    """Which stored report a PDF is and what it was built from, printed in every footer and
    written into the document's XMP metadata, so a printed or forwarded copy can be traced and
    checked (``riskdesk report verify``).

    Attributes
    ----------
    report_id : int
        The report's id in riskdesk.
    manifest_sha256 : str
        The sha256 of the canonical input manifest the PDF was built from.
    """

    report_id: int
    manifest_sha256: str


XMP_NAMESPACE = "https://riskdesk.dev/ns/report/1.0/"


def _xmp_packet(title: str, provenance: Provenance, ledger_head: LedgerHead,
                created: datetime) -> str:
    """An XMP packet naming the report id, manifest hash and ledger head (ISO 16684-1)."""
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # reportlab writes the stream as Latin-1: other characters go in as XML references.
    title = escape(title).encode("ascii", "xmlcharrefreplace").decode()
    return (
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about=''"
        " xmlns:dc='http://purl.org/dc/elements/1.1/'"
        " xmlns:xmp='http://ns.adobe.com/xap/1.0/'"
        f" xmlns:riskdesk='{XMP_NAMESPACE}'>"
        f"<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>{title}</rdf:li></rdf:Alt>"
        "</dc:title>"
        f"<dc:identifier>riskdesk-report-{provenance.report_id}</dc:identifier>"
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate>"
        f"<xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>"
        f"<riskdesk:reportId>{provenance.report_id}</riskdesk:reportId>"
        f"<riskdesk:manifestSha256>{provenance.manifest_sha256}</riskdesk:manifestSha256>"
        f"<riskdesk:ledgerSeq>{ledger_head.seq}</riskdesk:ledgerSeq>"
        f"<riskdesk:ledgerHash>{ledger_head.hash}</riskdesk:ledgerHash>"
        "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='r'?>"
    )


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base = {"fontName": "Helvetica", "fontSize": 9.5, "leading": 12.5, "textColor": INK}
    return ParagraphStyle(name, **{**base, **kwargs})


STYLES: dict[str, ParagraphStyle] = {
    "body": _style("body", fontSize=9, leading=11.6, spaceAfter=4),
    "tight": _style("tight", fontSize=9, leading=11.6, spaceAfter=1.5),
    "small": _style("small", fontSize=8, leading=10, textColor=MUTED),
    "title": _style("title", fontName="Helvetica-Bold", fontSize=17, leading=21, spaceAfter=4),
    "subtitle": _style("subtitle", fontSize=10.5, leading=14, textColor=MUTED, spaceAfter=10),
    "h1": _style(
        "h1",
        fontName="Helvetica-Bold",
        fontSize=12.5,
        leading=16,
        spaceBefore=12,
        spaceAfter=5,
        textColor=HEADER_BG,
        # A heading never ends a page: it moves with what it heads.
        keepWithNext=1,
    ),
    "h2": _style(
        "h2", fontName="Helvetica-Bold", fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=3,
        keepWithNext=1,
    ),
    "cell": _style("cell", fontSize=8, leading=9.8),
    "cell_right": _style("cell_right", fontSize=8, leading=9.8, alignment=TA_RIGHT),
    "head": _style(
        "head", fontName="Helvetica-Bold", fontSize=8, leading=9.8, textColor=colors.white
    ),
    "head_right": _style(
        "head_right",
        fontName="Helvetica-Bold",
        fontSize=8,
        leading=9.8,
        textColor=colors.white,
        alignment=TA_RIGHT,
    ),
    "mono": _style("mono", fontName="Courier", fontSize=7.5, leading=9.5),
    "note": _style(
        "note",
        fontSize=8.5,
        leading=11,
        textColor=INK,
        backColor=ZEBRA,
        borderPadding=6,
        borderColor=RULE,
        borderWidth=0.5,
        spaceBefore=6,
        spaceAfter=8,
    ),
}


def para(text: str, style: str = "body", *, markup: bool = False) -> Paragraph:
    """A paragraph of plain text (escaped) or of trusted reportlab markup."""
    return Paragraph(text if markup else escape(text), STYLES[style])


def mono_lines(text: str, width: int = 64) -> Paragraph:
    """Monospaced text broken every ``width`` characters, for hashes and signatures."""
    chunks = [escape(text[i : i + width]) for i in range(0, len(text), width)] or [""]
    return Paragraph("<br/>".join(chunks), STYLES["mono"])


class _FooterCanvas(canvas.Canvas):
    """Canvas that defers page output so each footer can say "page x of y"."""

    def __init__(self, *args: Any, footer: tuple[str, str, str | None], created: datetime,
                 xmp: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._footer = footer
        if xmp is not None:
            self._doc.Catalog.Metadata = XMP(creator=lambda _doc: xmp)
        self._pages: list[dict[str, Any]] = []
        stamp = created.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        self.setDateFormatter(lambda *_: stamp)

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        kind, ledger, provenance = self._footer
        width = PAGE_SIZE[0]
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, 0.62 * inch, width - MARGIN, 0.62 * inch)
        self.setFillColor(MUTED)
        self.setFont("Helvetica", 7.5)
        self.drawString(MARGIN, 0.48 * inch, kind)
        self.drawRightString(width - MARGIN, 0.48 * inch, f"Page {self._pageNumber} of {total}")
        self.setFont("Courier", 6.5)
        self.drawString(MARGIN, 0.34 * inch, ledger)
        if provenance is not None:
            self.drawString(MARGIN, 0.22 * inch, provenance)
        self.restoreState()


def build_pdf(
    story: list[Flowable],
    *,
    kind: str,
    title: str,
    subject: str,
    generated_at: datetime,
    ledger_head: LedgerHead,
    provenance: Provenance | None = None,
) -> bytes:
    """Lay out ``story`` into PDF bytes that depend only on the arguments.

    Parameters
    ----------
    story : list of Flowable
        The content.
    kind : str
        Report kind shown in every footer, for example "Adverse action notice".
    title, subject : str
        Document metadata.
    generated_at : datetime.datetime
        Timezone-aware time recorded as the creation date (not the clock's time).
    ledger_head : LedgerHead
        Ledger position printed in every footer and stored in the keywords.
    provenance : Provenance, optional
        The stored report this PDF is (its id and manifest hash): printed in every footer and
        written into the XMP metadata. Left out for previews and examples.

    Returns
    -------
    bytes
        The PDF.
    """
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    ledger = f"Ledger head seq {ledger_head.seq} hash {ledger_head.hash}"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=0.9 * inch,
        title=title,
        subject=subject,
        author=PRODUCER,
        creator=PRODUCER,
        producer=PRODUCER,
        keywords=[f"ledger-seq:{ledger_head.seq}", f"ledger-hash:{ledger_head.hash}",
                  *([] if provenance is None else [
                      f"report-id:{provenance.report_id}",
                      f"manifest-sha256:{provenance.manifest_sha256}"])],
        invariant=1,
        pageCompression=1,
    )
    stamp = (None if provenance is None else
             f"Report {provenance.report_id} manifest sha256 {provenance.manifest_sha256}")
    maker = functools.partial(
        _FooterCanvas, footer=(f"riskdesk · {kind}", ledger, stamp), created=generated_at,
        xmp=None if provenance is None else _xmp_packet(title, provenance, ledger_head,
                                                        generated_at),
    )
    doc.build(story, canvasmaker=maker)
    return buffer.getvalue()


def data_table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Iterable[int] = (),
    widths: Sequence[float] | None = None,
    highlight_rows: Iterable[int] = (),
) -> Table:
    """A table with a header row, zebra striping and right-aligned numeric columns.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : iterable of sequences
        Cell values; strings are wrapped as needed, flowables are used as given.
    numeric : iterable of int
        Indexes of the columns to right-align.
    widths : sequence of float, optional
        Column widths in points; default shares the content width equally.
    highlight_rows : iterable of int
        Body row indexes (0-based) to print in the alert colour, for flagged entries.
    """
    right = set(numeric)
    head = [
        Paragraph(escape(h), STYLES["head_right" if i in right else "head"])
        for i, h in enumerate(header)
    ]
    body = [[_cell(v, i in right) for i, v in enumerate(row)] for row in rows]
    table = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    commands += [("TEXTCOLOR", (0, r + 1), (-1, r + 1), ALERT) for r in highlight_rows]
    table.setStyle(TableStyle(commands))
    return table


def _cell(value: Any, right: bool) -> Any:
    if isinstance(value, Flowable):
        return value
    text = MISSING if value is None else str(value)
    return Paragraph(escape(text).replace("\n", "<br/>"), STYLES["cell_right" if right else "cell"])


def key_value_table(pairs: Sequence[tuple[str, Any]], *, key_width: float = 1.7 * inch) -> Table:
    """Two-column label/value block (title blocks, summaries); values may be flowables."""
    rows = [[Paragraph(escape(k), STYLES["cell"]), _cell(v, right=False)] for k, v in pairs]
    table = Table(rows, colWidths=[key_width, CONTENT_WIDTH - key_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def chart_image(figure: Figure, width: float, *, dpi: int = 150) -> Image:
    """Render a matplotlib figure (Agg) to a PNG with no software stamp and wrap it as a flowable.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        A figure created directly (not through pyplot, whose global state is shared).
    width : float
        Width on the page in points; the height keeps the figure's aspect ratio.
    dpi : int
        Raster resolution.
    """
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    fig_w, fig_h = figure.get_size_inches()
    buffer.seek(0)
    return Image(buffer, width=width, height=width * fig_h / fig_w)


def fmt_int(value: int | None) -> str:
    """Thousands-separated integer, or a dash."""
    return MISSING if value is None else f"{int(value):,}"


def fmt_num(value: float | None, digits: int = 3) -> str:
    """Fixed-point number, or a dash for missing and non-finite values."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    return f"{float(value):,.{digits}f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A share (0..1) as a percentage, or a dash."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    return f"{100 * float(value):.{digits}f}%"


def fmt_p(value: float | None) -> str:
    """A p-value: three decimals, or '< 0.001'."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def fmt_money(amount: Decimal, currency: str) -> str:
    """Money to the cent, rounded half up, with its currency code."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {cents:,.2f}"


def fmt_date(value: date | None) -> str:
    """ISO date, or a dash."""
    return MISSING if value is None else value.isoformat()


def fmt_datetime(value: datetime | None) -> str:
    """UTC time to the second, for example '2026-03-01 14:05:09 UTC'."""
    if value is None:
        return MISSING
    if value.tzinfo is None:
        raise ValueError("datetimes in reports must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def long_date(value: date) -> str:
    """A date written out, for example 'March 1, 2026'."""
    return f"{value:%B} {value.day}, {value.year}"
