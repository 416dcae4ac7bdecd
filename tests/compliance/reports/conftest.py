"""Report inputs shared by the report tests, and PDF text extraction."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from compliance.reports.examples import (
    example_adverse_action_notice,
    example_compliance_input,
    example_model_validation_input,
)


def page_texts(pdf: bytes) -> list[str]:
    """Text of each page with runs of whitespace collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    """Text of the whole document, whitespace collapsed."""
    return " ".join(page_texts(pdf))


@pytest.fixture(scope="session")
def notice():
    return example_adverse_action_notice()


@pytest.fixture(scope="session")
def validation_input():
    return example_model_validation_input()


@pytest.fixture(scope="session")
def compliance_input():
    return example_compliance_input(rows=5_000, n_boot=100)
