"""Contact types: the rules over the CRM (a repeat within the FCR window is a clarification,
a regular customer regular, a flagged number a competitor) on SQLite and PostgreSQL, and the
classifier trained on a generated labelled set, its cross-validated accuracy reported."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from dozvon.acd.service import RouterService
from dozvon.conversations.ingest import Inbound, ingest
from dozvon.conversations.models import Conversation
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, session_factory
from dozvon.core.errors import InvalidInput
from dozvon.crm import actions as crm
from dozvon.crm.identity import CrmIdentity
from dozvon.quality import actions, queries
from dozvon.quality.classifier import ContactFacts, Model, suggest, train
from dozvon.quality.settings import compile_profile
from dozvon.routing.model import QueueConfig
from tests.conftest import T0
from tests.quality.corpus import labelled

DAY = 86_400.0


def test_the_classifier_learns_the_six_types_from_generated_conversations() -> None:
    samples = labelled(per_type=60)
    held_out = labelled(per_type=15, seed=99)
    trained = train(samples)
    print(f"\ncross-validated accuracy on {trained.samples} generated conversations "
          f"({trained.folds} folds): {trained.accuracy:.3f}")
    assert trained.samples == 360 and trained.folds == 5 and set(trained.classes) == {
        "new_inquiry", "clarification", "regular", "complaint", "partner", "competitor"}
    assert trained.accuracy is not None and trained.accuracy >= 0.85
    model = Model.from_dict(trained.model.to_dict())  # as stored: plain numbers
    right = sum(model.predict(text)[0] == kind for text, kind in held_out)
    print(f"accuracy on {len(held_out)} held-out conversations: {right / len(held_out):.3f}")
    assert right / len(held_out) >= 0.85


def test_on_wordings_it_never_saw_it_still_does_far_better_than_chance() -> None:
    trained = train(labelled(per_type=60, seed=1, half=0))
    unseen = labelled(per_type=20, seed=2, half=1)
    right = sum(trained.model.predict(text)[0] == kind for text, kind in unseen) / len(unseen)
    print(f"\naccuracy on {len(unseen)} conversations in wordings the training set never had: {right:.3f} "
          f"(chance: {1 / 6:.3f})")
    assert right >= 0.3


def test_the_stored_model_gives_what_scikit_learn_gives() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from dozvon.quality.classifier import _features

    samples = labelled(per_type=20)
    trained = train(samples)
    reference = make_pipeline(TfidfVectorizer(analyzer=_features, min_df=1),
                              LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced"))
    reference.fit([t for t, _ in samples], [k for _, k in samples])
    texts = [t for t, _ in labelled(per_type=3, seed=5)]
    expected = reference.predict_proba(texts)
    got = np.array([[trained.model.probabilities(t)[c] for c in reference.classes_] for t in texts])
    assert np.allclose(expected, got, atol=1e-6)


def test_too_little_to_train_on_is_refused_with_the_counts() -> None:
    with pytest.raises(InvalidInput) as refused:
        train([("Сколько стоит диван?", "new_inquiry")] * 30)
    assert refused.value.code == "qa.train_too_few" and refused.value.params["types"] == 1


def test_rules_come_before_the_model() -> None:
    profile = compile_profile()
    model = train(labelled(per_type=20)).model
    assert suggest(["Сколько стоит диван?"], ContactFacts(flags=("competitor",)), profile, model).contact_type == \
        "competitor"
    complaint = suggest(["Курьер опоздал, я возмущена и недовольна"], ContactFacts(), profile, model)
    assert (complaint.contact_type, complaint.reason) == ("complaint", "complaint_words")
    assert [e["found"] for e in complaint.evidence] == ["возмущена", "недовольна"]
    assert suggest(["Предлагаем сотрудничество"], ContactFacts(), profile).contact_type == "partner"
    repeat = suggest(["Сколько стоит диван?"], ContactFacts("k1", previous_id="c0", previous_at=1.0), profile, model)
    assert (repeat.contact_type, repeat.reason) == ("clarification", "repeat")
    assert suggest(["Сколько стоит диван?"], ContactFacts("k1", segment="regular"), profile).contact_type == "regular"
    by_model = suggest(["Какая гарантия на шкаф и сколько стоит доставка?"], ContactFacts(), profile, model)
    assert by_model.source == "model" and by_model.contact_type == "new_inquiry"
    assert suggest(["Сколько стоит диван?"], ContactFacts(), profile).source == "default"


# ---------------------------------------------------------------------------- with the CRM, on a database

def _arrive(svc: RouterService, clock: ManualClock, external: str, customer: str, text: str) -> str:
    result = ingest(svc, Inbound(channel="messenger", external_id=external, queue="sales", customer_id=customer,
                                 text=text), CrmIdentity())
    clock.advance(1)
    return result.conversation_id


def _suggested(db_url: str, conv_id: str) -> str:
    with session_factory(get_engine(db_url))() as session:
        conv = session.scalar(select(Conversation).where(Conversation.id == conv_id))
        assert conv is not None
        return queries.suggestion_for(session, "shop", conv)[0].contact_type


def test_a_repeat_a_regular_and_a_flagged_customer_are_told_from_the_crm(db_url: str) -> None:
    clock = ManualClock(T0)
    svc = RouterService(get_engine(db_url), "shop", clock)
    svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin")))
    first = _arrive(svc, clock, "m1", "anna", "Сколько стоит диван?")
    assert _suggested(db_url, first) == "new_inquiry"
    clock.advance(2 * DAY)
    assert _suggested(db_url, _arrive(svc, clock, "m2", "anna", "Сколько стоит диван?")) == "clarification"
    # Three contacts in the rules' 90 days make a regular customer; past the FCR window it is no repeat.
    clock.advance(10 * DAY)
    assert _suggested(db_url, _arrive(svc, clock, "m3", "anna", "Хочу ещё кресло")) == "regular"
    sessions = session_factory(get_engine(db_url))
    with sessions.begin() as session:
        spy = session.scalar(select(Conversation.customer_id).where(Conversation.id == first))
        assert spy is not None
        crm.set_flag(session, "sup", "shop", spy, "competitor", "asks for purchase prices")
    clock.advance(10 * DAY)
    flagged = _arrive(svc, clock, "m4", "anna", "Сколько стоит диван?")
    assert _suggested(db_url, flagged) == "competitor"
    stored = actions.do_suggest(svc, flagged)
    assert stored["contact_type"] == "competitor" and stored["evidence"] == [{"flag": "competitor"}]
    with sessions() as session:
        assert queries.suggestion_of(session, "shop", flagged)["reason"] == "flag"  # type: ignore[index]


def test_training_on_the_dispositions_in_the_database_stores_the_model_and_its_accuracy(db_url: str) -> None:
    clock = ManualClock(T0)
    svc = RouterService(get_engine(db_url), "shop", clock)
    svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin")))
    sessions = session_factory(get_engine(db_url))
    for n, (text, kind) in enumerate(labelled(per_type=8)):
        conv = _arrive(svc, clock, f"t{n}", f"k{n}", text)
        with sessions.begin() as session:
            row = session.get(Conversation, conv)
            assert row is not None
            row.disposition = {"contact_type": kind, "resolved": True, "notes": ""}
    with sessions.begin() as session:
        trained = actions.do_train(session, "sup", "shop")
    with sessions() as session:
        status = queries.classifier_status(session, "shop")
        assert queries.model_of(session, "shop") is not None
    assert status["trained"] and status["samples"] == 48 and status["accuracy"] == trained.accuracy
    assert sum(status["classes"].values()) == 48
