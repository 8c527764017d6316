"""The automatic checks of one conversation — pure: its messages and events in, a result
per check out, each with the evidence a supervisor needs to see why.

Every check answers ``passed``, ``applies`` (False where it has nothing to judge: no
complaint for ``empathy``, no events for the event checks — such a check passes),
``score`` (0–100: the share of replies in time for ``response_time``, else 100 or 0) and
``evidence``: the messages (index from 0, time, the lexicon's entry and the words as
written) or the events (type, time, figures) it judged by. The conversation's score is
the weighted mean of the applicable checks' scores (the project's weights).

Automatic messages are the project's, not the operator's: a greeting the project sends in
the operator's name counts for ``greeting`` and its farewell for ``farewell``; no
automatic message counts as a reply, a rude word or a promise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dozvon.quality import lexicon
from dozvon.quality.settings import CHECKS, Profile, compile_profile
from dozvon.quality.text import Found, Word, words

CUSTOMER, OPERATOR = "customer", "operator"
#: At most this many characters of a message are quoted in evidence.
EXCERPT = 200
#: Words that turn the cue after them into its opposite («не понимаю», "not sorry").
NEGATIONS = frozenset({"не", "ни", "not", "never", "don't", "dont", "no"})
#: The lists whose cues a negation undoes (a rude phrase carries its own «не»).
_AFFIRMATIVE = frozenset({lexicon.GREETING, lexicon.FAREWELL, lexicon.EMPATHY})


@dataclass(frozen=True, slots=True)
class Msg:
    """One message: who wrote it, what, when (seconds); ``auto`` names the reason of an
    automatic message (``greeting``, ``farewell``, ``welcome``, ``closed`` …), None for a person's."""

    sender: Literal["customer", "operator"]
    text: str
    at: float
    auto: str | None = None


@dataclass(frozen=True, slots=True)
class Ev:
    """One event of the conversation, as the event log has it (times in seconds)."""

    type: str
    at: float
    operator_id: str | None = None
    queue: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None


@dataclass
class CheckResult:
    passed: bool = True
    applies: bool = True
    score: int = 100
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def failed(self, evidence: list[dict[str, Any]] | None = None) -> CheckResult:
        self.passed, self.score = False, 0
        if evidence:
            self.evidence.extend(evidence)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "applies": self.applies, "score": self.score, "evidence": self.evidence}


def not_applicable(reason: str) -> CheckResult:
    return CheckResult(applies=False, evidence=[{"note": reason}])


@dataclass
class Report:
    """Every check's result, the weighted score, and the lists of failed checks."""

    checks: dict[str, CheckResult]
    score: int
    language: str | None

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.checks.items() if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"checks": {name: r.to_dict() for name, r in self.checks.items()}, "score": self.score,
                "failed": self.failed, "language": self.language}


class _Text:
    """A conversation's messages with their words analysed once."""

    def __init__(self, messages: Sequence[Msg], profile: Profile, language: str | None) -> None:
        self.messages = list(messages)
        self.profile, self.language = profile, language
        self._words: dict[int, list[Word]] = {}

    def words(self, i: int) -> list[Word]:
        if i not in self._words:
            self._words[i] = words(self.messages[i].text)
        return self._words[i]

    def find(self, i: int, name: str) -> list[Found]:
        found = self.profile.phrases(self.language, name).find(self.messages[i].text, self.words(i))
        if name in _AFFIRMATIVE and found:
            # «Не понимаю, о чём вы» is no acknowledgement: a cue right after a negation is not one.
            tokens = self.words(i)
            place = {w.start: n for n, w in enumerate(tokens)}
            found = [f for f in found if not (place.get(f.start, 0) > 0
                                              and tokens[place[f.start] - 1].text in NEGATIONS)]
        return found

    def evidence(self, i: int, found: Sequence[Found] = (), **extra: Any) -> dict[str, Any]:
        m = self.messages[i]
        out: dict[str, Any] = {"message": i, "from": m.sender, "at": m.at, "text": _excerpt(m.text, found)}
        if found:
            out["words"] = [f.phrase for f in found]
            out["found"] = [f.words for f in found]
        out.update(extra)
        return out

    def operator(self, autos: tuple[str, ...] = ()) -> list[int]:
        """The operator's messages (with the automatic ones of these reasons)."""
        return [i for i, m in enumerate(self.messages)
                if m.sender == OPERATOR and m.text.strip() and (m.auto is None or m.auto in autos)]

    def customer(self) -> list[int]:
        return [i for i, m in enumerate(self.messages) if m.sender == CUSTOMER and m.text.strip()]

    def is_question(self, i: int) -> bool:
        if "?" in self.messages[i].text:
            return True
        # A question word first, or second after a particle («А когда…», "So where…").
        tokens = self.words(i)[:4]
        starts = {w.start for w in tokens[:2]}
        found = self.profile.phrases(self.language, lexicon.QUESTION).find(self.messages[i].text, tokens)
        return any(f.start in starts for f in found)


def _excerpt(text: str, found: Sequence[Found] = ()) -> str:
    if len(text) <= EXCERPT:
        return text
    start = max(0, found[0].start - EXCERPT // 3) if found else 0
    return ("…" if start else "") + text[start:start + EXCERPT] + "…"


# ---------------------------------------------------------------------------- text checks

def check_greeting(t: _Text) -> CheckResult:
    """The operator's first message (or the project's greeting in their name) greets."""
    ops = t.operator(("greeting",))
    if not ops:
        return not_applicable("no_operator_message")
    found = t.find(ops[0], lexicon.GREETING)
    result = CheckResult(evidence=[t.evidence(ops[0], found)])
    return result if found else result.failed()


def check_farewell(t: _Text) -> CheckResult:
    """One of the operator's last two messages (or the project's farewell) says goodbye politely."""
    ops = t.operator(("farewell",))
    if not ops:
        return not_applicable("no_operator_message")
    for i in reversed(ops[-2:]):
        found = t.find(i, lexicon.FAREWELL)
        if found:
            return CheckResult(evidence=[t.evidence(i, found)])
    return CheckResult(evidence=[t.evidence(ops[-1])]).failed()


def check_politeness(t: _Text) -> CheckResult:
    """No rude or dismissive wording in any of the operator's own messages."""
    ops = t.operator()
    if not ops:
        return not_applicable("no_operator_message")
    rude = [t.evidence(i, found) for i in ops if (found := t.find(i, lexicon.RUDE))]
    return CheckResult().failed(rude) if rude else CheckResult()


def check_unanswered_question(t: _Text) -> CheckResult:
    """Every question of the customer has an operator's reply after it before the end."""
    questions = [i for i in t.customer() if t.is_question(i)]
    if not questions:
        return not_applicable("no_question")
    ops = t.operator()
    last_reply = ops[-1] if ops else -1
    open_ = [t.evidence(i) for i in questions if i > last_reply]
    return CheckResult().failed(open_) if open_ else CheckResult(evidence=[t.evidence(questions[-1])])


def check_empathy(t: _Text) -> CheckResult:
    """Where the customer complains or is upset, an operator's message after it acknowledges it."""
    complaint = next(((i, f) for i in t.customer() if (f := t.find(i, lexicon.COMPLAINT))), None)
    if complaint is None:
        return not_applicable("no_complaint")
    first, cues = complaint
    evidence = [t.evidence(first, cues)]
    for i in t.operator():
        if i > first and (found := t.find(i, lexicon.EMPATHY)):
            return CheckResult(evidence=[*evidence, t.evidence(i, found)])
    return CheckResult().failed(evidence)


def check_response_time(t: _Text, first_reply_s: float, reply_s: float, answered_at: float | None) -> CheckResult:
    """The operator's first reply, and every reply to a customer's message, within the limits.
    A wait is counted from the first unanswered customer message (not before the operator
    took the conversation, when that is known)."""
    waits: list[dict[str, Any]] = []
    pending: int | None = None
    for i, m in enumerate(t.messages):
        if not m.text.strip():
            continue
        if m.sender == CUSTOMER:
            if pending is None:
                pending = i
        elif m.auto is None and pending is not None:
            since = t.messages[pending].at
            if answered_at is not None:
                since = max(since, answered_at)
            limit = first_reply_s if not waits else reply_s
            wait = max(0.0, m.at - since)
            waits.append({"message": i, "after": pending, "at": m.at, "wait_s": round(wait, 1),
                          "limit_s": limit, "first": not waits, "late": wait > limit})
            pending = None
    if not waits:
        return not_applicable("no_reply")
    late = [w for w in waits if w["late"]]
    score = round(100 * (len(waits) - len(late)) / len(waits))
    if not late:
        return CheckResult(score=100, evidence=[max(waits, key=lambda w: w["wait_s"])])
    result = CheckResult(passed=False, score=score, evidence=late)
    return result


# ---------------------------------------------------------------------------- event checks

def _event_evidence(e: Ev, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"event": e.type, "at": e.at}
    if e.seq is not None:
        out["seq"] = e.seq
    if e.operator_id:
        out["operator_id"] = e.operator_id
    out.update(extra)
    return out


def check_long_hold(events: Sequence[Ev], max_hold_s: float) -> CheckResult:
    """No single hold longer than the project's limit."""
    holds: list[dict[str, Any]] = []
    start: Ev | None = None
    for e in events:
        if e.type == "contact.held":
            start = e
        elif start is not None and e.type in ("contact.resumed", "contact.transferred", "contact.ended",
                                              "contact.closed"):
            length = float(e.data.get("hold_s") or 0) if e.type == "contact.resumed" else 0.0
            length = length or e.at - start.at
            holds.append(_event_evidence(start, until=e.at, hold_s=round(length, 1), limit_s=max_hold_s,
                                         ended_by=e.type))
            start = None
    if not holds:
        return not_applicable("no_hold")
    long = [h for h in holds if h["hold_s"] > max_hold_s]
    return CheckResult().failed(long) if long else CheckResult(evidence=holds)


def _ping_pong(path: list[tuple[str, Ev]]) -> list[dict[str, Any]] | None:
    steps: list[tuple[str, Ev]] = []
    for who, e in path:
        if not steps or steps[-1][0] != who:
            steps.append((who, e))
    for a, b, c in zip(steps, steps[1:], steps[2:], strict=False):
        if a[0] == c[0] != b[0]:
            return [_event_evidence(e, to=who) for who, e in (a, b, c)]
    return None


def check_transfer_ping_pong(events: Sequence[Ev]) -> CheckResult:
    """The contact did not come back to an operator (or queue) it was handed on from (A → B → A)."""
    if not any(e.type == "contact.transferred" for e in events):
        return not_applicable("no_transfer")
    operators = [(e.operator_id, e) for e in events if e.type == "contact.answered" and e.operator_id is not None]
    queues = [(e.queue, e) for e in events if e.type == "contact.queued" and e.queue is not None]
    bounced = _ping_pong(operators) or _ping_pong(queues)
    transfers = [_event_evidence(e, **{k: v for k, v in e.data.items() if k.startswith("to_")})
                 for e in events if e.type == "contact.transferred"]
    return CheckResult().failed(bounced) if bounced else CheckResult(evidence=transfers)


def check_callback_promise(t: _Text, events: Sequence[Ev] | None) -> CheckResult:
    """An operator who promised to call or write back created a task or a callback for it."""
    promises = [t.evidence(i, found) for i in t.operator() if (found := t.find(i, lexicon.CALLBACK))]
    if not promises:
        return not_applicable("no_promise")
    if events is None:
        return CheckResult(applies=False, evidence=[*promises, {"note": "no_events"}])
    kept = [_event_evidence(e, **{k: e.data[k] for k in ("task_id", "kind", "due_at") if k in e.data})
            for e in events if e.type in ("task.created", "callback.created")]
    return CheckResult(evidence=[*promises, *kept]) if kept else CheckResult().failed(promises)


# ---------------------------------------------------------------------------- all together

def run_checks(messages: Sequence[Msg], events: Sequence[Ev] | None = None, profile: Profile | None = None, *,
               channel: str = "chat", language: str | None = None) -> Report:
    """Every check the project has switched on, for one conversation. ``events`` None: the
    events are not known (a file given to ``dozvon qa check``), so the event checks do not
    apply; ``language`` None: both languages' lists are used."""
    profile = profile or compile_profile()
    settings = profile.settings
    t = _Text(messages, profile, language if language in lexicon.LANGUAGES else None)
    ordered = sorted(events, key=lambda e: (e.at if e.seq is None else 0, e.seq or 0, e.at)) if events else events
    answered = next((e.at for e in ordered or () if e.type == "contact.answered"), None)
    times = settings.replies(channel)
    results: dict[str, CheckResult] = {}
    for name in CHECKS:
        if not settings.is_on(name):
            continue
        if name in ("long_hold", "transfer_ping_pong") and ordered is None:
            results[name] = not_applicable("no_events")
        elif name == "long_hold":
            results[name] = check_long_hold(ordered or (), settings.max_hold_s)
        elif name == "transfer_ping_pong":
            results[name] = check_transfer_ping_pong(ordered or ())
        elif name == "callback_promise":
            results[name] = check_callback_promise(t, ordered)
        elif name == "response_time":
            results[name] = check_response_time(t, times.first_reply_s, times.reply_s, answered)
        else:
            results[name] = _TEXT_CHECKS[name](t)
    weights = [(settings.weight(n), r.score) for n, r in results.items() if r.applies]
    total = sum(w for w, _ in weights)
    score = round(sum(w * s for w, s in weights) / total) if total else 100
    return Report(results, score, t.language)


_TEXT_CHECKS = {"greeting": check_greeting, "farewell": check_farewell, "politeness": check_politeness,
                "unanswered_question": check_unanswered_question, "empathy": check_empathy}
