"""``dozvon channel …``: what people and tools connecting channels run on the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from dozvon.core.i18n import h

channel_app = typer.Typer(help=h("Channels: mailboxes, bots, web forms.", "Каналы: почтовые ящики, боты, веб-формы."),
                          no_args_is_help=True)


@channel_app.command("new-key", help=h(
    "Print a new key for DOZVON_SECRET_KEY (channels' secrets are encrypted with it; every server sharing a "
    "database needs the same one).",
    "Напечатать новый ключ для DOZVON_SECRET_KEY (им шифруются секреты каналов; всем серверам с общей базой "
    "нужен один и тот же)."))
def new_key() -> None:
    from dozvon.channels.secrets import new_key as make

    typer.echo(make())


@channel_app.command("add-form", help=h(
    "Create a web form (or a marketplace's endpoint) whose requests go to a queue; print its address and its "
    "signing secret (shown this once).",
    "Создать веб-форму (или приёмник заявок маркетплейса), заявки которой идут в очередь; напечатать её адрес и "
    "секрет подписи (показывается один раз)."))
def add_form(
    project: Annotated[str, typer.Option("--project", help=h("Project (tenant).", "Проект (клиент)."))],
    name: Annotated[str, typer.Option("--name", help=h("The form's name (in its URL).", "Имя формы (в её адресе)."))],
    queue: Annotated[str, typer.Option("--queue", help=h("Where its requests go.", "Куда идут её заявки."))],
    field: Annotated[list[str] | None, typer.Option("--field", help=h(
        "ROLE=FIELD: which request field is the name, phone, email, text, source or id (repeatable).",
        "РОЛЬ=ПОЛЕ: какое поле заявки — name, phone, email, text, source или id (можно несколько)."))] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help=h(
        "Dozvon's address as the form's site reaches it (default http://DOZVON_HOST:DOZVON_PORT).",
        "Адрес Дозвона, по которому к нему обращается сайт (по умолчанию http://DOZVON_HOST:DOZVON_PORT)."))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=h('Print {"url", "secret"} as JSON.',
                                                           'Напечатать {"url", "secret"} в JSON.'))] = False,
) -> None:
    import json

    from dozvon.acd import queries as live
    from dozvon.acd.service import RouterService
    from dozvon.channels import connections
    from dozvon.channels.forms.kind import FieldMap
    from dozvon.cli import console, reported_errors
    from dozvon.core.db import get_engine, session_factory, upgrade
    from dozvon.core.errors import InvalidInput
    from dozvon.core.i18n import translate
    from dozvon.core.settings import Settings

    with reported_errors():
        settings = Settings()
        mapping = FieldMap().model_dump()
        for given in field or []:
            role, _, path = given.partition("=")
            if role not in mapping or not path:
                raise InvalidInput("channels.bad_setting", field="--field",
                                   reason=f"{given!r}: ROLE=FIELD, ROLE one of {', '.join(mapping)}")
            mapping[role] = path
        url = settings.resolved_database_url()
        upgrade(url)
        db = get_engine(url)
        with session_factory(db).begin() as session:
            from dozvon.accounts.queries import get_project

            get_project(session, project)  # a clear error before the engine is loaded
        queues = live.queue_names(RouterService(db, project))
        with session_factory(db).begin() as session:
            _, secret = connections.connect(session, "cli", project, kind="form", name=name, queue=queue,
                                            settings={"fields": mapping}, queues=queues)
        base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
        address = f"{base}/hooks/{project}/forms/{name}"
    if as_json:
        typer.echo(json.dumps({"url": address, "secret": secret}, ensure_ascii=False))
    else:
        console.print(translate("forms.created", name=name, project=project, url=address, secret=secret),
                      markup=False, highlight=False)
