"""Variables in quick replies and automatic messages: filled, asked for, or left out cleanly."""

from __future__ import annotations

from dozvon.replies.render import fill, first_name, missing, values


def test_known_values_are_filled_in():
    known = values("Александр Иванов", "Ольга Петрова", "Ромашка")
    text = "Добрый день, {customer.first_name}! Меня зовут {operator.first_name}, магазин {project.name}."
    assert fill(text, known) == "Добрый день, Александр! Меня зовут Ольга, магазин Ромашка."
    assert missing(text, known) == []


def test_a_missing_value_is_asked_for_by_a_person_and_left_out_of_an_automatic_message():
    known = values(None, "Ольга")
    assert missing("Здравствуйте, {customer.first_name}!", known) == ["customer.first_name"]
    assert fill("Здравствуйте, {customer.first_name}!", known) == "Здравствуйте!"
    assert fill("{customer.first_name}, добрый день!", known) == "Добрый день!"
    assert fill("Hi {customer.first_name}, I am {operator.name}.", known) == "Hi, I am Ольга."
    assert fill("Здравствуйте, {customer.first_name}!", known, drop_missing=False) == \
        "Здравствуйте, {customer.first_name}!"


def test_a_company_has_no_first_name():
    assert first_name("ООО «Вектор»") == ""
    assert first_name("ИП Сидоров") == ""
    assert first_name("  Анна  Смирнова ") == "Анна"
