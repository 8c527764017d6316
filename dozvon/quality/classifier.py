"""Contact types suggested for a new text contact: rules first, then a per-project model.

Rules (:func:`by_rules`), in this order: a customer flagged as a competitor →
``competitor``; the customer's first messages complain (the ``complaint`` word list, by
lemma) → ``complaint``; they speak of supply, partnership, investment (the ``partner``
list), or the customer's segment is partner/investor → ``partner``; the customer's
previous contact was within the FCR window → ``clarification``; a regular or VIP customer
→ ``regular``. Otherwise the project's classifier, if trained; else ``new_inquiry``.

The classifier (:func:`train`) is TF-IDF over the lemmas (and lemma pairs) of the
customer's first messages with a multinomial logistic regression, trained on the
dispositions operators gave, its accuracy measured by stratified k-fold
cross-validation. It is stored as plain numbers (vocabulary, idf, coefficients) and
applied with numpy (:class:`Model`): no pickle in the database, nothing downloaded.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from dozvon.core.errors import InvalidInput
from dozvon.quality import lexicon
from dozvon.quality.settings import Profile
from dozvon.quality.text import lemmas
from dozvon.routing.model import CONTACT_TYPES

#: At least this many labelled conversations, and two types, before a model is trained.
MIN_SAMPLES = 10
#: Folds of the cross-validation (fewer when a type has fewer samples).
FOLDS = 5
#: A model's suggestion below this probability is not made (the default is).
MIN_CONFIDENCE = 0.35


@dataclass(frozen=True)
class ContactFacts:
    """What the customer base says about the customer at this contact."""

    customer_id: str | None = None
    segment: str | None = None
    flags: tuple[str, ...] = ()
    #: The customer's previous conversation within the FCR window: its id and when.
    previous_id: str | None = None
    previous_at: float | None = None


@dataclass(frozen=True)
class Suggestion:
    contact_type: str
    #: ``rule``, ``model`` or ``default``.
    source: str
    #: Which rule (``flag``, ``complaint_words``, ``partner_words``, ``segment``, ``repeat``),
    #: ``model`` or ``default``.
    reason: str
    confidence: float | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"contact_type": self.contact_type, "source": self.source, "reason": self.reason,
                "confidence": self.confidence, "evidence": self.evidence}


def _features(text: str) -> list[str]:
    terms = lemmas(text)
    return terms + [f"{a} {b}" for a, b in pairwise(terms)]


@dataclass(frozen=True)
class Model:
    """A trained classifier as numbers: TF-IDF (l2-normalised) then a logistic regression."""

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray[Any, Any]
    coef: np.ndarray[Any, Any]
    intercept: np.ndarray[Any, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        return cls(tuple(data["classes"]), dict(data["vocabulary"]), np.asarray(data["idf"], dtype=float),
                   np.asarray(data["coef"], dtype=float), np.asarray(data["intercept"], dtype=float))

    def to_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "vocabulary": self.vocabulary, "idf": self.idf.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    def probabilities(self, text: str) -> dict[str, float]:
        x = np.zeros(len(self.vocabulary))
        for term, count in Counter(_features(text)).items():
            index = self.vocabulary.get(term)
            if index is not None:
                x[index] = count
        x *= self.idf
        norm = float(np.linalg.norm(x))
        if norm:
            x /= norm
        scores = self.coef @ x + self.intercept
        if len(self.classes) == 2:  # a binary regression has one row: the second class's odds
            p = 1.0 / (1.0 + math.exp(-float(scores[0])))
            return {self.classes[0]: 1 - p, self.classes[1]: p}
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return {c: float(p) for c, p in zip(self.classes, scores, strict=True)}

    def predict(self, text: str) -> tuple[str, float]:
        probs = self.probabilities(text)
        best = max(probs, key=lambda c: probs[c])
        return best, probs[best]


def by_rules(texts: Sequence[str], facts: ContactFacts, profile: Profile,
             language: str | None = None) -> Suggestion | None:
    """The rules' suggestion (see the module's docstring), or None when no rule applies."""
    if "competitor" in facts.flags:
        return Suggestion("competitor", "rule", "flag", 1.0, [{"flag": "competitor"}])
    for name, kind in ((lexicon.COMPLAINT, "complaint"), (lexicon.PARTNER, "partner")):
        phrases = profile.phrases(language, name)
        found = [(i, f) for i, text in enumerate(texts) for f in phrases.find(text)]
        if found:
            return Suggestion(kind, "rule", f"{name}_words", 1.0,
                              [{"message": i, "word": f.phrase, "found": f.words} for i, f in found[:5]])
    if facts.segment in ("partner", "investor"):
        return Suggestion("partner", "rule", "segment", 1.0, [{"segment": facts.segment}])
    if facts.previous_id is not None:
        return Suggestion("clarification", "rule", "repeat", 1.0,
                          [{"previous": facts.previous_id, "at": facts.previous_at}])
    if facts.segment in ("regular", "vip"):
        return Suggestion("regular", "rule", "segment", 1.0, [{"segment": facts.segment}])
    return None


def suggest(texts: Sequence[str], facts: ContactFacts, profile: Profile, model: Model | None = None,
            language: str | None = None) -> Suggestion:
    """The suggested type of a contact from the customer's first messages and the CRM."""
    ruled = by_rules(texts, facts, profile, language)
    if ruled is not None:
        return ruled
    joined = "\n".join(texts)
    if model is not None and joined.strip():
        kind, confidence = model.predict(joined)
        if confidence >= MIN_CONFIDENCE:
            return Suggestion(kind, "model", "model", round(confidence, 3))
    return Suggestion("new_inquiry", "default", "default")


# ---------------------------------------------------------------------------- training

@dataclass(frozen=True)
class Trained:
    model: Model
    samples: int
    #: The mean cross-validated accuracy (None when a type has too few samples to fold).
    accuracy: float | None
    folds: int
    classes: dict[str, int]


def train(samples: Sequence[tuple[str, str]], *, seed: int = 0) -> Trained:
    """A model from (text, contact type) pairs, and its cross-validated accuracy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    usable = [(text, kind) for text, kind in samples if text.strip() and kind in CONTACT_TYPES]
    counts = Counter(kind for _, kind in usable)
    if len(usable) < MIN_SAMPLES or len(counts) < 2:
        raise InvalidInput("qa.train_too_few", samples=len(usable), types=len(counts), minimum=MIN_SAMPLES)
    texts, labels = [t for t, _ in usable], [k for _, k in usable]

    def pipeline() -> Any:
        return make_pipeline(TfidfVectorizer(analyzer=_features, min_df=1),
                             LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced"))

    folds = min(FOLDS, min(counts.values()))
    accuracy: float | None = None
    if folds >= 2:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        accuracy = float(np.mean(cross_val_score(pipeline(), texts, labels, cv=splitter)))
    fitted = pipeline().fit(texts, labels)
    vectorizer, regression = fitted.steps[0][1], fitted.steps[1][1]
    model = Model(tuple(str(c) for c in regression.classes_),
                  {str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
                  np.asarray(vectorizer.idf_, dtype=float), np.asarray(regression.coef_, dtype=float),
                  np.asarray(regression.intercept_, dtype=float))
    return Trained(model, len(usable), accuracy, folds, dict(counts))
