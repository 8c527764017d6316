"""The demo shop at ``/demo/shop`` (pinned): a plain page of a made-up store with the
widget on it, exactly as a business would embed it — one script tag — so a newcomer can
play the customer while another tab plays the operator. Served by ``dozvon demo`` only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dozvon.demo.seed import PROJECT
from dozvon.server.i18n import language_of

_PAGES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                     autoescape=select_autoescape(["html"]))

_TEXTS = {
    "ru": {"title": "Ромашка — товары для дома", "lead": "Доставим завтра. Вопросы? Напишите нам в чат — справа внизу.",
           "buy": "В корзину", "note": "Это демо-магазин Дозвона: чат справа внизу попадает в очередь «sales».",
           "products": [("Чайник «Утро»", "2 490 ₽"), ("Плед шерстяной", "3 900 ₽"), ("Набор кружек", "1 250 ₽"),
                        ("Лампа настольная", "4 300 ₽"), ("Подушка ортопедическая", "2 100 ₽"),
                        ("Комплект полотенец", "1 800 ₽")]},
    "en": {"title": "Romashka — home goods", "lead": "Delivered tomorrow. Questions? Chat with us — bottom right.",
           "buy": "Add to cart", "note": "This is Dozvon's demo shop: the chat at the bottom right reaches the "
                                         "“sales” queue.",
           "products": [("Kettle “Morning”", "2,490 ₽"), ("Wool blanket", "3,900 ₽"), ("Set of mugs", "1,250 ₽"),
                        ("Desk lamp", "4,300 ₽"), ("Orthopaedic pillow", "2,100 ₽"), ("Towel set", "1,800 ₽")]},
}


def mount_shop(app: FastAPI, project: str = PROJECT) -> None:
    """``/demo/shop``, with the widget of ``project`` (the demo's; a test's own)."""

    @app.get("/demo/shop", include_in_schema=False)
    def shop(request: Request) -> HTMLResponse:
        lang = request.query_params.get("lang") or language_of(request.headers.get("accept-language"))
        lang = lang if lang in _TEXTS else "ru"
        page = _PAGES.get_template("shop.html").render(lang=lang, project=project, **_TEXTS[lang])
        return HTMLResponse(page)
