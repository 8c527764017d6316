"""Simulation scenarios (YAML or JSON), validated with clear, located error messages.

The pinned keys (``seed``, ``duration_s``, ``warmup_s``, ``queues``, ``agents``,
``traffic``) are documented in docs/simulate.md; anything a queue accepts in
:class:`~dozvon.routing.model.QueueConfig` may be set on a scenario's queue too.
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dozvon.channels.registry import registry
from dozvon.core.errors import InvalidInput
from dozvon.routing.model import DEFAULT_CAPACITY, STRATEGIES


class Distribution(BaseModel):
    """A random duration: exponential(mean), constant(mean), lognormal(mean, sd)."""

    model_config = ConfigDict(extra="forbid")

    dist: Literal["exponential", "constant", "lognormal"] = "exponential"
    mean: float = Field(gt=0)
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _lognormal_needs_sd(self) -> Distribution:
        if self.dist == "lognormal" and self.sd is None:
            raise ValueError("lognormal needs 'sd' (standard deviation) as well as 'mean'")
        return self

    def sampler(self, rng: random.Random) -> Any:
        mean = self.mean
        if self.dist == "constant":
            return lambda: mean
        if self.dist == "exponential":
            rate = 1.0 / mean
            # rng.expovariate(rate) written out (the same arithmetic, the same numbers):
            # one call fewer for every duration drawn.
            random, log = rng.random, math.log
            return lambda: -log(1.0 - random()) / rate
        sd = self.sd or 0.0
        sigma2 = math.log(1.0 + (sd / mean) ** 2)
        mu, sigma = math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)
        return lambda: rng.lognormvariate(mu, sigma)


def _as_distribution(value: Any) -> Any:
    if isinstance(value, int | float):
        return {"dist": "constant", "mean": value}
    return value


class QueueSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    strategy: str = "longest_idle"
    offer_timeout_s: float | None = Field(default=None, ge=0)
    target_answer_s: float = Field(default=20.0, ge=0)
    wrap_up_s: float | None = Field(default=None, ge=0)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        # Checked here too, so that it is listed with every other problem of the file.
        if value not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r}; expected one of {', '.join(STRATEGIES)}")
        return value


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    count: int | None = Field(default=None, ge=1)
    queues: list[str] = Field(min_length=1)
    capacity: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    skills: dict[str, int] = Field(default_factory=dict)
    answer_delay_s: float = Field(default=0.0, ge=0)
    answer_probability: float = Field(default=1.0, ge=0, le=1)
    wrap_up_s: float = Field(default=0.0, ge=0)
    #: Seconds after the start when the group logs in / out (default: the whole run).
    login_s: float = Field(default=0.0, ge=0)
    logout_s: float | None = Field(default=None, ge=0)

    def names(self) -> list[str]:
        if self.count is None:
            return [self.name]
        return [f"{self.name}{i}" for i in range(1, self.count + 1)]


class TrafficSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str
    channel: str = "voice"
    #: Poisson arrivals per hour: one rate, or a profile (one rate per hour, repeating).
    arrivals_per_hour: float | list[float]
    handle_time_s: Distribution
    patience_s: Distribution | None = None
    priority: int = 0
    segment: str | None = None
    skills: dict[str, int] = Field(default_factory=dict)

    _coerce = field_validator("handle_time_s", "patience_s", mode="before")(_as_distribution)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if registry.find(value) is None:
            raise ValueError(f"unknown channel {value!r}; expected one of {', '.join(registry.names())}")
        return value

    @field_validator("arrivals_per_hour")
    @classmethod
    def _non_negative(cls, value: float | list[float]) -> float | list[float]:
        values = value if isinstance(value, list) else [value]
        if not values or any(v < 0 for v in values):
            raise ValueError("arrival rates must be >= 0 (and a profile must not be empty)")
        return value

    def rate_at(self, t: float) -> float:
        """Arrivals per second at ``t`` seconds after the start."""
        rates = self.arrivals_per_hour
        if isinstance(rates, list):
            return rates[int(t // 3600) % len(rates)] / 3600.0
        return rates / 3600.0


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    duration_s: float = Field(gt=0)
    warmup_s: float = Field(default=0.0, ge=0)
    #: When the simulated day starts (matters for business hours); ISO 8601 with a zone.
    start: datetime = datetime.fromisoformat("2026-01-05T00:00:00+00:00")
    short_abandon_s: float = Field(default=5.0, ge=0)
    queues: list[QueueSpec] = Field(min_length=1)
    agents: list[AgentSpec] = Field(default_factory=list)
    traffic: list[TrafficSpec] = Field(default_factory=list)
    #: Engine-wide settings (voice_blocks_text, max_missed_offers …).
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError(f"queue names must be unique, got {names}")
        known = set(names)
        for i, agent in enumerate(self.agents):
            for queue in agent.queues:
                if queue not in known:
                    raise ValueError(f"agents[{i}] ({agent.name}) names unknown queue {queue!r}")
        for i, stream in enumerate(self.traffic):
            if stream.queue not in known:
                raise ValueError(f"traffic[{i}] names unknown queue {stream.queue!r}")
        if self.warmup_s >= self.duration_s:
            raise ValueError("warmup_s must be shorter than duration_s")
        if self.start.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2026-01-05T09:00:00+03:00")
        return self


def _format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"  - {where}: {item['msg']}")
    return "\n".join(lines)


def parse_scenario(data: Any, path: str = "<scenario>") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise InvalidInput("scenario.invalid", path=path, problems=_format_errors(error)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every problem is reported with where it is."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput("scenario.unreadable", path=str(path), reason=error.strerror or error) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidInput("scenario.syntax", path=str(path), reason=str(error).strip()) from None
    if not isinstance(data, dict):
        raise InvalidInput("scenario.invalid", path=str(path),
                           problems="  - (top level): expected a mapping of keys")
    return parse_scenario(data, str(path))
