"""Erlang C (M/M/n) and Erlang A (M/M/n+M) in a numerically safe form.

Factorials of hundreds of operators overflow a float, so nothing here computes one:
Erlang B/C use the standard recurrence, Erlang A works with log-probabilities of the
birth-death chain and sums them with log-sum-exp. All rates are per second.

Erlang A definitions (Palm's M/M/n+M; each waiting customer abandons at rate θ = 1/patience):

* ``p_wait`` — probability an arriving customer finds every operator busy (PASTA);
* ``p_abandon`` — θ·E[queue length]/λ;
* ``asa_s`` — mean wait of the customers who are answered;
* ``service_level`` — answered within ``target_s`` ÷ offered (abandons count as failures);
* ``occupancy`` — carried traffic ÷ n = λ(1 − p_abandon)·AHT / n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Terms of the queue-length distribution below this share of the total are dropped.
_NEGLIGIBLE = 1e-15


@dataclass(frozen=True, slots=True)
class QueueFigures:
    traffic_erlangs: float
    agents: int
    p_wait: float
    asa_s: float
    service_level: float
    occupancy: float
    p_abandon: float = 0.0
    stable: bool = True


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of M/M/n/n by the recurrence B(k) = A·B(k−1) / (k + A·B(k−1))."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must be non-negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(agents: int, traffic: float, aht_s: float, target_s: float) -> QueueFigures:
    """M/M/n without abandonment. ``agents ≤ traffic`` is an unstable queue: reported as such
    (every customer waits, the wait grows without bound), never as a probability above 1."""
    if aht_s <= 0:
        raise ValueError("aht_s must be positive")
    if agents <= traffic:
        return QueueFigures(traffic, agents, 1.0, math.inf, 0.0, 1.0, 0.0, stable=False)
    b = erlang_b(agents, traffic)
    c = agents * b / (agents - traffic * (1.0 - b))
    asa = c * aht_s / (agents - traffic)
    sl = 1.0 - c * math.exp(-(agents - traffic) * target_s / aht_s)
    return QueueFigures(traffic, agents, c, asa, sl, traffic / agents)


def erlang_c_smallest(
    traffic: float, aht_s: float, target_s: float, target_sl: float, min_agents: int = 1
) -> tuple[int, float]:
    """The smallest n ≥ min_agents, n > traffic, with Erlang C service level ≥ target_sl.

    One pass: the Erlang B recurrence visits n = 1, 2, 3 … anyway, and the service level at
    each n follows from B(n) in O(1), so the answer costs O(n) float operations — no
    search, no repeated recurrences. Used for the hundreds of intervals of a week plan.
    Returns the number of agents and the service level they give.
    """
    if traffic <= 0:
        return max(0, min_agents), 1.0
    decay = target_s / aht_s
    # No answer below the first candidate: run the bare recurrence up to it, then test.
    first = max(1, min_agents, math.floor(traffic) + 1)
    b = 1.0
    for k in range(1, first):
        b = traffic * b / (k + traffic * b)
    n = first - 1
    while True:
        n += 1
        b = traffic * b / (n + traffic * b)
        c = n * b / (n - traffic * (1.0 - b))
        level = 1.0 - c * math.exp(-(n - traffic) * decay)
        if level >= target_sl:
            return n, level


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = (a, b) if a > b else (b, a)
    return high + math.log1p(math.exp(low - high))


def erlang_a(agents: int, arrival_rate: float, aht_s: float, patience_s: float, target_s: float) -> QueueFigures:
    """M/M/n+M: Poisson arrivals (per second), exponential handle time and patience."""
    if agents < 1 or arrival_rate <= 0 or aht_s <= 0 or patience_s <= 0:
        raise ValueError("need agents ≥ 1 and positive arrival rate, handle time and patience")
    lam, mu, theta = arrival_rate, 1.0 / aht_s, 1.0 / patience_s
    traffic = lam / mu
    log_a = math.log(traffic)
    # log π_k (unnormalised) for k ≤ n, then the queue states k = n + i, i ≥ 1.
    log_pi_n = agents * log_a - math.lgamma(agents + 1)
    log_busy_free = -math.inf
    for k in range(agents):
        log_busy_free = _log_add(log_busy_free, k * log_a - math.lgamma(k + 1))
    queue_logs = [log_pi_n]  # index i = customers waiting (i = 0: all busy, none waiting)
    log_term = log_pi_n
    i = 0
    while True:
        i += 1
        log_term += math.log(lam / (agents * mu + i * theta))
        queue_logs.append(log_term)
        if i > 10 and log_term - queue_logs[0] < math.log(_NEGLIGIBLE) and lam < agents * mu + i * theta:
            break
    log_queue = -math.inf
    for value in queue_logs:
        log_queue = _log_add(log_queue, value)
    log_total = _log_add(log_busy_free, log_queue)
    probs = [math.exp(v - log_total) for v in queue_logs]  # P(arrival finds n + i in system)
    p_wait = sum(probs)
    mean_queue = sum(i * p for i, p in enumerate(probs))
    p_abandon = theta * mean_queue / lam

    # A customer arriving with j customers ahead is answered after j + 1 "steps" down, the
    # step from j ahead having rate nμ + (j+1)θ (service anywhere, or one of those ahead or
    # the customer itself leaving); with probability (nμ + jθ)/(nμ + (j+1)θ) it is not itself.
    served_prob = []
    served_wait = []
    p_served_path = 1.0
    mean_path = 0.0
    for j in range(len(probs)):
        rate = agents * mu + (j + 1) * theta
        p_served_path *= (agents * mu + j * theta) / rate
        mean_path += 1.0 / rate
        served_prob.append(p_served_path)
        served_wait.append(mean_path)
    p_served_waiting = sum(p * s for p, s in zip(probs, served_prob, strict=True))
    p_answered = (1.0 - p_wait) + p_served_waiting
    wait_answered = sum(p * s * w for p, s, w in zip(probs, served_prob, served_wait, strict=True))
    asa = wait_answered / p_answered if p_answered > 0 else math.inf
    sl = (1.0 - p_wait) + _served_within(probs, served_prob, agents * mu, theta, target_s)
    occupancy = lam * (1.0 - p_abandon) * aht_s / agents
    return QueueFigures(traffic, agents, p_wait, asa, sl, occupancy, p_abandon)


def _served_within(
    probs: list[float], served_prob: list[float], service_rate: float, theta: float, target_s: float
) -> float:
    """Σ_j P(j ahead) · P(served | j) · P(sum of the j+1 step times ≤ target), by uniformisation.

    The step times are independent exponentials whatever the outcome of each step, so the
    outcome and the timing separate. Uniformising the pure-death chain of steps at the
    largest rate Λ turns the continuous-time question into a Poisson-weighted sum of
    discrete steps, which is stable where the closed hypoexponential formula cancels.
    """
    if target_s <= 0:
        return 0.0
    size = len(probs)
    rates = [service_rate + (j + 1) * theta for j in range(size)]
    big = max(rates)
    weights = [p * s for p, s in zip(probs, served_prob, strict=True)]
    vector = weights[:]  # mass still waiting, by steps remaining − 1
    done = 0.0
    mean = big * target_s
    limit = int(mean + 12.0 * math.sqrt(mean) + 50)
    log_poisson = -mean
    cumulative = 0.0
    total = 0.0
    for m in range(limit + 1):
        if m > 0:
            log_poisson += math.log(mean / m)
            moved = [vector[j] * rates[j] / big for j in range(size)]
            done += moved[0]
            vector = [vector[j] - moved[j] + (moved[j + 1] if j + 1 < size else 0.0) for j in range(size)]
        poisson = math.exp(log_poisson)
        cumulative += poisson
        total += poisson * done
    # The tail beyond `limit` steps has (almost) everything absorbed.
    return total + (1.0 - cumulative) * done
