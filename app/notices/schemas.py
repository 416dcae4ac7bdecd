"""The API's shapes of notice obligations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import NoticeObligation
from app.models.base import utcnow
from app.notices.service import is_overdue
from risk_models.document import Strict
from risk_models.notices import DELIVERY_CHANNELS, DeliveryChannel


class NoticePublic(BaseModel):
    id: str = Field(description="Notice obligation id.")
    application_id: str = Field(description="The application it is owed for.")
    decision_id: str = Field(description="The decision that took the adverse action.")
    kind: Literal["decline", "counteroffer", "incomplete", "limit_reduction"] = Field(
        description="decline (statement of reasons), counteroffer (owed unless accepted), "
                    "incomplete (notice of incompleteness) or limit_reduction (a credit limit "
                    "lowered on the account the application was booked as).")
    status: Literal["pending", "generated", "delivered", "withdrawn"] = Field(
        description="pending → generated → delivered; withdrawn when no longer owed.")
    opened_at: datetime = Field(description="When the adverse action was taken (UTC).")
    due_date: date = Field(description="Last day to deliver it (Reg B §1002.9 timing).")
    overdue: bool = Field(description="Still undelivered after its due date.")
    missing: list[str] = Field(description="For an incompleteness notice: what is missing.")
    respond_by: date | None = Field(None, description="For an incompleteness notice: the date "
                                                      "by which to supply it.")
    report_id: int | None = Field(None, description="The generated PDF's report id.")
    generated_at: datetime | None = Field(None, description="When the PDF was generated.")
    delivered_at: datetime | None = Field(None, description="When it was delivered.")
    delivery_channel: str | None = Field(None, description="How it was delivered.")
    delivered_by: str | None = Field(None, description="Actor id of who delivered it.")
    closed_reason: str | None = Field(None, description="Why it was withdrawn.")


def notice_public(row: NoticeObligation, today: date | None = None) -> NoticePublic:
    return NoticePublic(
        id=row.id, application_id=row.application_id, decision_id=row.decision_id,
        kind=row.kind, status=row.status,
        opened_at=row.opened_at, due_date=row.due_date,
        overdue=is_overdue(row, today or utcnow().date()), missing=list(row.missing),
        respond_by=row.respond_by, report_id=row.report_id, generated_at=row.generated_at,
        delivered_at=row.delivered_at, delivery_channel=row.delivery_channel,
        delivered_by=row.delivered_by, closed_reason=row.closed_reason)


class NoticePage(BaseModel):
    items: list[NoticePublic] = Field(description="Earliest due first.")
    offset: int = Field(description="Offset of the first item.")
    limit: int = Field(description="Page size.")


class DeliveryCreate(Strict):
    model_config = ConfigDict(extra="forbid")

    channel: DeliveryChannel = Field(
        description="How the notice reached the applicant: " + ", ".join(DELIVERY_CHANNELS))
