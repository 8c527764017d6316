"""The default word lists of the checks and of the contact-type rules, per language — data,
not code: a project adds and removes entries in its settings (:mod:`dozvon.quality.settings`).

Entries are written in any one form; they are compared by lemma (:mod:`dozvon.quality.text`),
so «грубить» stands for «грубите», «грубил», «грубишь», and «не ваше дело» for «не вашего
дела». A phrase must appear as consecutive words, except that in the lists of the
operator's courtesies and rude phrases (:data:`WITH_INSERTS`) the :data:`INSERTS` — words
addressing the customer and intensifiers — may stand between its words: «хорошего дня» is
also «хорошего вам дня», «приносить извинения» «приносим вам свои извинения», «ничем не могу
помочь» «ничем не могу вам помочь», "have a nice day" "have a very nice day". Any other
inserted word needs its own entry («до скорого свидания»). The lists follow the typical
operator errors of the source articles (seeds 001 and 004): rudeness and dismissive wording,
no empathy for an upset customer, a question left unanswered, a promise to call back that
nobody keeps.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

LANGUAGES: Final = ("ru", "en")

#: The lists every language has (the keys of a project's ``add``/``remove`` settings).
GREETING, FAREWELL, RUDE, COMPLAINT, EMPATHY, QUESTION, CALLBACK, PARTNER = (
    "greeting", "farewell", "rude", "complaint", "empathy", "question", "callback", "partner")
LISTS: Final = (GREETING, FAREWELL, RUDE, COMPLAINT, EMPATHY, QUESTION, CALLBACK, PARTNER)
#: The lists of the operator's courtesies and rude phrases, which take :data:`INSERTS` between
#: their words: an operator addresses the customer inside either alike («хорошего вам дня»,
#: «сами вы виноваты»). The customer's lists (complaint, question, partner) keep consecutive
#: words: they also feed the contact-type rules, left as they were; so do the promises, whose
#: verb alone is an entry («перезвонить» finds «я вам перезвоню» already).
WITH_INSERTS: Final = (GREETING, FAREWELL, EMPATHY, RUDE)
#: Words (any form) that may stand inside those phrases: the customer addressed, and
#: intensifiers («спасибо вам большое за ваше обращение», "thank you so much for contacting").
#: None of them turns a phrase into its opposite, as a «не» would.
INSERTS: Final = MappingProxyType({
    "ru": ("вы", "ты", "ваш", "твой", "свой", "очень", "большой", "самый"),
    "en": ("you", "your", "very", "so", "much", "really", "truly"),
})

_RU: dict[str, tuple[str, ...]] = {
    GREETING: ("здравствуйте", "здравствуй", "добрый день", "доброе утро", "добрый вечер", "доброй ночи",
               "доброго времени суток", "приветствую", "привет", "добро пожаловать", "рад приветствовать"),
    FAREWELL: ("всего доброго", "всего вам доброго", "всего хорошего", "всего вам хорошего", "хорошего дня",
               "хорошего вам дня", "хорошего вечера", "хороших выходных", "удачного дня", "до свидания", "до встречи",
               "до скорого свидания", "до скорой встречи",
               "спасибо за обращение", "благодарим за обращение", "спасибо что обратились", "обращайтесь",
               "будем рады помочь снова", "берегите себя"),
    RUDE: ("не ваше дело", "читать не уметь", "сами виноваты", "сам виноват", "не мои проблемы",
           "это ваши проблемы", "ваши проблемы не наши", "ваши проблемы не мои", "ваши проблемы меня не касаются",
           "не моя проблема", "отстаньте", "отвяжитесь", "грубить",
           "дурак", "идиот", "тупой", "бестолковый", "заткнуться", "не морочьте голову", "нечего звонить",
           "нечего писать", "сколько можно повторять", "я же сказал", "я же сказала", "вам же сказали",
           "ничем не могу помочь", "не нравится не покупайте", "мне всё равно", "мне плевать", "ерунда",
           "глупый вопрос", "не задавайте глупых вопросов", "хамить", "истерить",
           "вы ничего не понимаете", "вы не понимаете"),
    COMPLAINT: ("ужасно", "ужасный", "безобразие", "жалоба", "жаловаться", "недоволен",
                "возмутительно", "возмущён", "возмущать", "отвратительно", "кошмар",
                "обман", "обманывать", "претензия", "верните деньги", "вернуть деньги", "хамство", "хамить",
                "сколько можно", "издевательство", "разочарован", "позор", "безответственный",
                "никто не отвечает", "до сих пор не", "третий раз", "бардак", "роспотребнадзор"),
    EMPATHY: ("понимать", "сожалеть", "к сожалению", "извинить", "извиняться", "приносить извинения",
              "простить", "жаль", "сочувствовать", "неприятно", "неприятная ситуация", "благодарю за терпение",
              "спасибо за терпение", "беспокойство", "неудобство", "не волнуйтесь"),
    QUESTION: ("как", "где", "когда", "почему", "зачем", "сколько", "что", "какой", "который", "куда", "откуда",
               "чей", "можно ли", "ли", "подскажите", "скажите", "не подскажете", "есть ли"),
    CALLBACK: ("перезвонить", "я перезвоню", "мы перезвоним", "наберу вас", "свяжусь с вами", "свяжемся с вами",
               "связаться с вами", "напишу вам позже", "вернусь с ответом", "сообщу вам", "уточню и отвечу"),
    PARTNER: ("сотрудничество", "партнёрство", "партнёр", "поставщик", "поставлять", "коммерческое предложение",
              "инвестор", "инвестиция", "инвестировать", "дистрибьютор", "дилер", "оптовый", "договор поставки",
              "тендер", "реклама на вашем сайте", "предложить сотрудничество"),
}

_EN: dict[str, tuple[str, ...]] = {
    GREETING: ("hello", "hi", "hey", "good morning", "good afternoon", "good evening", "welcome", "greetings",
               "thanks for reaching out", "thank you for contacting"),
    FAREWELL: ("have a nice day", "have a good day", "have a great day", "have a wonderful day",
               "have a lovely day", "have a nice evening", "have a good evening", "have a great weekend",
               "have a nice weekend", "wish you a nice day", "wish you a good day", "wish you a great day",
               "enjoy your day", "enjoy the rest of your day", "goodbye", "good bye", "bye", "take care",
               "all the best",
               "thank you for contacting", "thanks for contacting", "thank you for reaching out",
               "glad to help", "happy to help", "glad i could help", "see you"),
    RUDE: ("none of your business", "not my problem", "that's your problem", "that is your problem",
           "it's your problem", "it is your problem", "this is your problem", "your problem not ours",
           "your problem not mine", "can't you read", "cannot you read", "can you not read", "it's your fault",
           "it is your fault", "that's your fault", "that is your fault", "your own fault", "stupid", "idiot",
           "dumb", "shut up", "whatever", "i don't care", "i do not care", "calm down", "i already told you",
           "as i said", "deal with it", "nonsense",
           "ridiculous question", "stop bothering", "not my job", "go away"),
    COMPLAINT: ("terrible", "awful", "horrible", "complaint", "complain", "unacceptable", "disappointed",
                "disappointing", "angry", "upset", "furious", "refund", "ridiculous", "worst", "disgusting",
                "outrageous", "scam", "still not", "third time", "nobody answers", "fed up"),
    EMPATHY: ("understand", "sorry", "apologize", "apologise", "apology", "apologies", "regret",
              "unfortunately", "frustrating", "inconvenience", "i hear you", "thank you for your patience",
              "thanks for your patience"),
    QUESTION: ("what", "where", "when", "why", "how", "which", "who", "whom", "whose", "can", "could", "would",
               "is", "are", "do", "does", "did", "should", "may", "any chance"),
    CALLBACK: ("call you back", "call back", "get back to you", "i'll call", "we'll call", "will call you",
               "contact you later", "reach out to you", "follow up with you", "let you know", "ring you back"),
    PARTNER: ("partnership", "partner", "cooperation", "collaboration", "supplier", "supply", "distributor",
              "dealer", "wholesale", "investor", "investment", "invest", "business proposal", "commercial offer",
              "tender", "advertising on your site"),
}

#: The defaults: language → list name → entries.
DEFAULTS: Final = MappingProxyType({"ru": MappingProxyType(_RU), "en": MappingProxyType(_EN)})


def entries(language: str, name: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> tuple[str, ...]:
    """One list of one language: the defaults with the project's additions, less its removals
    (compared case-insensitively, ``ё`` as ``е``)."""
    def key(entry: str) -> str:
        return entry.strip().lower().replace("ё", "е")

    removed = {key(r) for r in remove}
    base = DEFAULTS[language][name] if language in DEFAULTS else ()
    merged = {key(e): e.strip() for e in (*base, *add) if e.strip()}
    return tuple(v for k, v in merged.items() if k not in removed)
