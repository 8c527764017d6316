"""Customers in the database (SQLite and PostgreSQL): import creates, updates and refuses
by row; find by a phone in another format, an e-mail in another case, or a name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dozvon.accounts import actions as accounts
from dozvon.accounts.models import AuditEntry
from dozvon.core.db import get_engine, session_factory, upgrade
from dozvon.core.errors import Conflict, InvalidInput
from dozvon.crm import actions, queries
from dozvon.crm.cli import read_rows
from dozvon.crm.models import Customer


@pytest.fixture
def db(database_url: str, project: str) -> Session:
    upgrade(database_url)
    session = session_factory(get_engine(database_url))()
    with session.begin():
        accounts.create_project(session, "test", project, "Shop", region="BY", timezone="Europe/Minsk")
    return session


def _found(session: Session, project: str, query: str) -> list[dict[str, object]]:
    return queries.as_dicts(session, project, queries.find(session, project, query))


def test_one_person_by_phone_in_three_formats_and_by_e_mail(db: Session, project: str) -> None:
    with db.begin():
        report = actions.import_customers(db, "test", project, [
            (2, {"name": "Анна", "phone": "8 (029) 123-45-67"}),
            (3, {"phone": "+375291234567", "email": "Anna@Example.BY"}),
            (4, {"phone": "375 29 1234567", "segment": "vip"}),
            (5, {"email": "ANNA@example.by", "telegram": "@AnnaP"}),
        ])
    assert (report.created, report.updated, report.refused) == (1, 3, [])
    with db.begin():
        [anna] = _found(db, project, "+375 29 123 45 67")
        assert anna["name"] == "Анна" and anna["segment"] == "vip"
        assert anna["phones"] == ["+375291234567"] and anna["emails"] == ["anna@example.by"]
        assert db.scalar(select(func.count()).select_from(Customer).where(Customer.project == project)) == 1


def test_import_counts_created_updated_and_refused_with_row_numbers_and_a_bad_row_does_not_stop_it(
        db: Session, project: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text("name,phone,email,segment,city\n"
                        "Анна,8 029 123 45 67;+375 44 765 43 21,anna@example.by,vip,Минск\n"
                        "Broken,12,,,\n"
                        "Олег,+375 29 111 22 33,,,Гомель\n"
                        "Анна Петрова,,ANNA@EXAMPLE.BY,,\n"
                        "Nobody,,not-an-address,,\n", encoding="utf-8")
    with db.begin():
        report = actions.import_customers(db, "cli", project, read_rows(csv_file))
    assert (report.created, report.updated) == (2, 1)
    assert [n for n, _ in report.refused] == [3, 6]  # lines of the file: the header is line 1
    assert "'12'" in report.refused[0][1] and "'not-an-address'" in report.refused[1][1]
    json_file = tmp_path / "customers.json"
    json_file.write_text('[{"name": "Олег Иванов", "phone": "80291112233"}, {"phone": "nonsense"}, 7,'
                         ' {"name": "Ирина", "phone": ["+79123456789"], "email": "irina@example.ru"}]')
    with db.begin():
        report = actions.import_customers(db, "cli", project, read_rows(json_file))
    assert (report.created, report.updated, [n for n, _ in report.refused]) == (1, 1, [2, 3])
    with db.begin():
        [anna] = _found(db, project, "+375447654321")
        assert anna["name"] == "Анна Петрова" and anna["phones"] == ["+375291234567", "+375447654321"]
        customer = queries.get_customer(db, project, str(anna["id"]))
        assert customer.attributes == {"city": "Минск"}
        [oleg] = _found(db, project, "Олег")
        assert oleg["name"] == "Олег Иванов"
        audited = db.scalars(select(AuditEntry.action).where(AuditEntry.project == project)).all()
        assert audited.count("customer.created") == 3 and audited.count("customer.updated") == 2


def test_find_by_phone_in_another_format_by_e_mail_in_another_case_and_by_name(db: Session, project: str) -> None:
    with db.begin():
        anna = actions.create_customer(db, "test", project, "Анна Петрова",
                                       identities=[("phone", "+375291234567"), ("email", "anna@example.by")])
        actions.create_customer(db, "test", project, "Петр Аннин")
        actions.create_customer(db, "test", project, "Жанна")
    with db.begin():
        assert [c["id"] for c in _found(db, project, "8 (029) 123-45-67")] == [anna.id]
        assert [c["id"] for c in _found(db, project, "ANNA@Example.by")] == [anna.id]
        names = [c["name"] for c in _found(db, project, "анна")]
        assert names == ["Анна Петрова", "Жанна"]  # a name's start ranks above a part of it
        assert [c["name"] for c in _found(db, project, "петр")] == ["Петр Аннин", "Анна Петрова"]
        assert _found(db, project, "nobody") == []


def test_an_identity_belongs_to_one_customer_of_a_project(db: Session, project: str) -> None:
    with db.begin():
        actions.create_customer(db, "test", project, "A", identities=[("phone", "+375291234567")])
    with pytest.raises(Conflict), db.begin():
        actions.create_customer(db, "test", project, "B", identities=[("phone", "+375291234567")])
    with pytest.raises(InvalidInput), db.begin():
        accounts.create_project(db, "test", project + "x", "X", region="Narnia")
