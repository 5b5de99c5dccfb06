"""Hostile wording, judged by VADER (vaderSentiment): a maintained, published sentiment
model (Hutto & Gilbert, 2014) tuned on short social text, whose lexicon ships inside the
package, so it runs offline and in constant time per message. Not a hand-made word list.

A message is hostile when VADER's compound score is at most HOSTILE_COMPOUND and its
negative share at least HOSTILE_NEGATIVE: both, so that one sad word ("unfortunately the
server failed") does not make a polite message hostile.
"""

from functools import lru_cache

HOSTILE_COMPOUND = -0.5
HOSTILE_NEGATIVE = 0.25


@lru_cache(maxsize=1)
def _analyser():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def scores(text):
    """VADER's {neg, neu, pos, compound} for `text` (first 2,000 characters)."""
    return _analyser().polarity_scores((text or "")[:2000])


def is_hostile(text):
    s = scores(text)
    return s["compound"] <= HOSTILE_COMPOUND and s["neg"] >= HOSTILE_NEGATIVE
