"""The settings pages for channels and webhooks: ``/settings/channels`` — the project's
mailboxes, bots and web forms with their health, connecting a new one, testing,
switching off, a new secret, disconnecting — and ``/settings/webhooks`` — the outbound
subscriptions with their delivery log, replay and a test ping.

A kind's connect form is drawn from its settings model (:mod:`dozvon.channels.kinds`):
each field's control follows its JSON Schema type (text, number, yes/no, a choice, a list
of choices, a group of fields), with its label and help from the catalogue
(``web.channel.field.<name>``), so a new kind of channel gets its page without an edit
here. The pages save through the same JSON API any client uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dozvon.acd import queries as live
from dozvon.channels import connections
from dozvon.channels.kinds import KINDS, ChannelKind
from dozvon.eventlog.catalogue import REGISTRY
from dozvon.integrations import webhooks
from dozvon.web.admin import _page, _place, _read

router = APIRouter(include_in_schema=False)


@dataclass
class FieldSpec:
    """One control of a kind's form: ``control`` is text, int, number, bool, choice,
    choices (a list from a closed set), lines (a free list) or group (``fields`` inside)."""

    name: str
    path: str
    control: str
    default: Any = None
    required: bool = False
    nullable: bool = False
    choices: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    fields: list[FieldSpec] = field(default_factory=list)

    @property
    def label_key(self) -> str:
        """A setting's label by its name; a field inside a group (a form's field map) by
        what it maps (web.channel.map.phone)."""
        return f"web.channel.{'map' if self.path.count('.') > 1 else 'field'}.{self.name}"


def _plain(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A property without its ``anyOf [X, null]`` wrapper, and whether null is allowed."""
    options = prop.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            return {**prop, **kept[0]}, len(kept) < len(options)
    return prop, False


def _specs(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[FieldSpec]:
    required = set(schema.get("required", ()))
    out: list[FieldSpec] = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _plain(raw)
        path = f"{prefix}.{name}"
        if "$ref" in prop:
            inner = defs[prop["$ref"].rsplit("/", 1)[-1]]
            out.append(FieldSpec(name, path, "group", fields=_specs(inner, defs, path)))
            continue
        kind = prop.get("type")
        spec = FieldSpec(name, path, "text", default=prop.get("default"), required=name in required,
                         nullable=nullable, minimum=prop.get("minimum"), maximum=prop.get("maximum"),
                         max_length=prop.get("maxLength"))
        if "enum" in prop:
            spec.control, spec.choices = "choice", [str(v) for v in prop["enum"]]
        elif kind == "boolean":
            spec.control = "bool"
        elif kind == "integer":
            spec.control = "int"
        elif kind == "number":
            spec.control = "number"
        elif kind == "array":
            items = prop.get("items", {})
            spec.control = "choices" if "enum" in items else "lines"
            spec.choices = [str(v) for v in items.get("enum", ())]
            spec.default = prop.get("default") or []
        out.append(spec)
    return out


@dataclass
class KindForm:
    kind: ChannelKind
    fields: list[FieldSpec]


def kind_forms() -> list[KindForm]:
    """Every registered kind with the controls of its settings, by name."""
    forms = []
    for kind in sorted(KINDS.values(), key=lambda k: k.name):
        schema = kind.settings.model_json_schema()
        forms.append(KindForm(kind, _specs(schema, schema.get("$defs", {}), "settings")))
    return forms


def value_at(settings: dict[str, Any], path: str) -> Any:
    """A stored setting by its form path (``settings.fields.phone``)."""
    node: Any = settings
    for part in path.split(".")[1:]:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


@router.get("/settings/channels")
async def channels_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "channels", project)
    if isinstance(place, Response):
        return place
    rows = await _read(request, lambda s: [connections.as_dict(c) for c in connections.connections(s, place.project)])
    queues = sorted(live.queue_names(request.app.state.hub.service(place.project))) if place.project else []
    forms = kind_forms()
    return _page(request, place, "channels", "admin_channels.html", kinds=forms,
                 kind_of={f.kind.name: f for f in forms}, channels=rows, queue_names=queues, value_at=value_at)


@router.get("/settings/webhooks")
async def webhooks_page(request: Request, project: str | None = None) -> Response:
    place = await _place(request, "webhooks", project)
    if isinstance(place, Response):
        return place

    def read(session: Any) -> list[dict[str, Any]]:
        subs = webhooks.subscriptions(session, place.project)
        by_status = webhooks.counts(session, place.project, [w.id for w in subs])
        return [webhooks.as_dict(w, by_status[w.id]) for w in subs]

    rows = await _read(request, read)
    families = sorted({t.split(".")[0] for t in REGISTRY})
    return _page(request, place, "webhooks", "admin_webhooks.html", hooks=rows, families=families)
