"""``dozvon qa default-card`` and ``dozvon qa cards``: a project's scorecards from the command
line (the evaluations' part of ``dozvon qa``; the checks' commands are in
:mod:`dozvon.quality.cli`, whose command group these join)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from dozvon.core.i18n import h, register, translate
from dozvon.quality.cli import JsonOption, ProjectOption, _database, qa_app

register("qa.card.made", "Project {project}: the default scorecard “{name}” (version {version}) is made",
         "Проект {project}: создана карта оценки по умолчанию «{name}» (версия {version})")
register("qa.card.kept", "Project {project} already has scorecards; nothing is changed",
         "У проекта {project} уже есть карты оценки; ничего не изменено")
register("qa.card.line", "{name} — key {card_key}, version {version}: {competencies} competencies, {criteria} criteria",
         "{name} — ключ {card_key}, версия {version}: компетенций {competencies}, критериев {criteria}")


@qa_app.command("default-card", help=h(
    "Make the default scorecard (seven competencies in Russian and English) for a project that has none.",
    "Создать карту оценки по умолчанию (семь компетенций, по-русски и по-английски) для проекта без карт."))
def qa_default_card(project: ProjectOption,
                    lang: Annotated[str, typer.Option("--lang", help=h("The card's name in: ru or en.",
                                                                       "Язык названия карты: ru или en."))] = "ru",
                    as_json: JsonOption = False) -> None:
    from dozvon.accounts.queries import get_project
    from dozvon.cli import console
    from dozvon.quality.scorecards import card_dict, ensure_default_card

    with _database() as session:
        get_project(session, project)  # an unknown project is one clear line, not a card for nobody
        made = ensure_default_card(session, project, "cli", lang, int(time.time() * 1_000_000))
        out = card_dict(made, lang) if made is not None else None
    if as_json:
        print(json.dumps({"created": out is not None, "card": out}, ensure_ascii=False))
        return
    if out is None:
        console.print(translate("qa.card.kept", project=project), highlight=False)
    else:
        console.print(translate("qa.card.made", project=project, name=out["name"], version=out["version"]),
                      highlight=False)


@qa_app.command("cards", help=h("The project's scorecards in use.", "Карты оценки проекта, которые используются."))
def qa_cards(project: ProjectOption, as_json: JsonOption = False) -> None:
    from dozvon.cli import console
    from dozvon.quality.scorecards import card_dict, current_cards

    with _database() as session:
        cards = [card_dict(c) for c in current_cards(session, project)]
    if as_json:
        print(json.dumps({"items": cards}, ensure_ascii=False))
        return
    for c in cards:
        console.print(translate("qa.card.line", name=c["name"], card_key=c["key"], version=c["version"],
                                competencies=len(c["competencies"]),
                                criteria=sum(len(comp["criteria"]) for comp in c["competencies"])), highlight=False)
