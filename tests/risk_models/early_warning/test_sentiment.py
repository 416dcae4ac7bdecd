"""Interaction sentiment: VADER with the credit-distress lexicon and phrases."""

from __future__ import annotations

import logging

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from risk_models.early_warning.sentiment import (
    CHUNK_CHARS,
    CREDIT_DISTRESS_LEXICON,
    DISTRESS_PHRASES,
    MAX_TEXT_CHARS,
    CreditSentimentAnalyzer,
    credit_sentiment_analyzer,
    score_interaction,
)

DISTRESSED = ["I will file for bankruptcy", "I was made redundant", "my payment will be late"]


@pytest.mark.parametrize("text", DISTRESSED)
def test_distress_phrases_score_clearly_negative(text):
    assert score_interaction(text).compound < -0.3


@pytest.mark.parametrize("text", DISTRESSED)
def test_plain_vader_scores_distress_phrases_neutral(text):
    assert score_interaction(text).vader_compound == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "thanks, the payment went through",
        "please update my address",
        "please change my default payment method",
        "can I see my statement",
    ],
)
def test_servicing_messages_do_not_score_negative(text):
    assert score_interaction(text).compound >= 0.0


@pytest.mark.parametrize("text", ["see you later", "I have been busy lately"])
def test_late_inside_another_word_is_not_a_distress_term(text):
    result = score_interaction(text)
    assert result.distress_terms == ()
    assert result.compound == result.vader_compound


def test_bare_default_is_not_a_distress_term():
    assert score_interaction("I reset it to the default settings").distress_terms == ()


def test_loan_in_default_is_a_distress_term():
    assert score_interaction("the loan is in default").distress_terms == ("in default",)


def test_negated_distress_phrase_scores_no_lower_than_plain_vader():
    # Plain VADER knows none of the words (0.0); the lexicon reads "not" before the phrase as a
    # negation and the reassurance comes out mildly positive.
    result = score_interaction("I am not behind on payments")
    assert result.vader_compound == 0.0
    assert result.compound > 0.0


def test_unnegated_distress_phrase_scores_negative():
    assert score_interaction("I am behind on payments").compound < -0.3


def test_distress_terms_are_listed_once_in_order_of_appearance():
    result = score_interaction("I'm in arrears. Arrears again, since I was laid off.")
    assert result.distress_terms == ("arrears", "laid off")


def test_phrase_is_counted_instead_of_its_words():
    assert score_interaction("I will file for bankruptcy").distress_terms == (
        "file for bankruptcy",
    )


def test_phrase_matches_across_case_whitespace_and_curly_apostrophes():
    result = score_interaction("Honestly I CAN\u2019T   Pay this month")
    assert result.distress_terms == ("can't pay",)


def test_phrases_separated_by_a_slash_are_both_found():
    assert score_interaction("laid off/made redundant").distress_terms == (
        "laid off",
        "made redundant",
    )


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_scores_zero_with_no_terms(text):
    result = score_interaction(text)
    assert (result.compound, result.distress_terms, result.vader_compound) == (0.0, (), 0.0)


def test_non_string_text_is_refused():
    with pytest.raises(TypeError):
        score_interaction(None)


def test_text_beyond_the_limit_is_not_read():
    text = "a" * MAX_TEXT_CHARS + " I was made redundant"
    assert score_interaction(text).distress_terms == ()


def test_one_distressed_sentence_in_a_long_friendly_letter_shows():
    letter = (
        "Thanks so much for your help, great service. " * 40
        + "I was made redundant and my payment will be late. "
        + "Thanks again, wonderful. " * 20
    )
    assert len(letter) > CHUNK_CHARS
    assert score_interaction(letter).compound < -0.3


def test_long_text_without_sentence_breaks_is_scored():
    text = "word " * (3 * CHUNK_CHARS // 5) + "bankruptcy"
    assert score_interaction(text).compound < 0.0


def test_building_the_analyzer_leaves_other_vader_users_alone():
    base = SentimentIntensityAnalyzer()
    lexicon_before = dict(base.lexicon)
    CreditSentimentAnalyzer(base).score("I am in arrears and was made redundant")
    assert base.lexicon == lexicon_before
    assert SentimentIntensityAnalyzer().polarity_scores("I am in arrears")["compound"] == 0.0


def test_lexicon_and_phrases_are_read_only():
    with pytest.raises(TypeError):
        CREDIT_DISTRESS_LEXICON["late"] = 0.0
    with pytest.raises(TypeError):
        DISTRESS_PHRASES["laid off"] = 0.0


def test_the_shared_analyzer_is_built_once():
    assert credit_sentiment_analyzer() is credit_sentiment_analyzer()


def test_scoring_logs_nothing_of_the_text(caplog):
    with caplog.at_level(logging.DEBUG):
        score_interaction("I was made redundant, call me on 07700 900123")
    assert "redundant" not in caplog.text
    assert "07700" not in caplog.text
