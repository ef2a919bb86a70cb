"""Header words of real exports, in Russian and English, for each column we know.

A header is *normalised* before it is looked up: lower case, ``ё`` as ``е``, every run of
characters that are not letters or digits as one space (``"ID клиента"``, ``"id_клиента"``
and ``"Id-Клиента"`` are all ``"id клиента"``).  :data:`HEADERS` maps a normalised header to
the column it most likely is; :data:`TABLE_WORDS` maps words of file and sheet names to
tables.

Examples
--------
>>> normalise(" Дата  ухода (ёмкость)")
'дата ухода емкость'
>>> field_for("ID клиента", "customers"), field_for("Id", "tickets"), field_for("x", "tickets")
('customer_id', 'ticket_id', None)
>>> table_for_name("Обращения_2025.csv"), field_for("Сумма чека", "orders")
('tickets', 'amount')
"""

from __future__ import annotations

import re

__all__ = ["HEADERS", "TABLE_WORDS", "field_for", "normalise", "table_for_name"]

#: Synonyms per column (normalised); the column's own name is always one.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customer id", "client", "client id", "user id", "account id",
                    "customer number", "клиент", "id клиента", "код клиента",
                    "номер клиента", "идентификатор клиента", "абонент", "id абонента",
                    "лицевой счет", "пользователь", "id пользователя", "покупатель"),
    "signup_date": ("signup", "signup at", "sign up date", "signed up", "registered",
                    "registered at", "registration date", "joined", "join date",
                    "customer since", "дата регистрации", "зарегистрирован",
                    "дата подключения", "дата договора", "клиент с",
                    "дата заключения договора"),
    "churn_date": ("churn", "churned", "churned at", "churn at", "cancelled at",
                   "canceled at", "cancellation date", "left at", "end date",
                   "дата ухода", "дата отключения", "дата расторжения", "дата оттока",
                   "ушел", "отключен"),
    "responded_at": ("response date", "responded", "survey date", "answered at",
                     "submitted at", "дата ответа", "дата опроса", "дата анкеты",
                     "дата оценки", "ответил"),
    "nps_score": ("nps", "nps score", "score nps", "likelihood to recommend",
                  "recommend score", "оценка nps", "nps оценка", "готовность рекомендовать",
                  "вероятность рекомендации", "индекс nps"),
    "csat_score": ("csat", "csat score", "satisfaction", "satisfaction score",
                   "оценка csat", "csat оценка", "удовлетворенность",
                   "оценка удовлетворенности", "оценка качества"),
    "touchpoint": ("touch point", "survey type", "точка контакта", "тип опроса"),
    "ticket_id": ("ticket", "ticket number", "ticket no", "case id", "case number",
                  "request id", "issue id", "номер обращения", "обращение", "id обращения",
                  "номер заявки", "заявка", "id заявки", "номер тикета", "тикет"),
    "created_at": ("created", "created date", "opened", "opened at", "open date",
                   "submitted", "создано", "дата создания", "дата обращения", "открыто",
                   "дата открытия", "создан", "дата регистрации обращения",
                   "поступило"),
    "first_response_at": ("first response", "first reply", "first response time",
                          "first replied at", "first reply at",
                          "первый ответ", "дата первого ответа", "время первого ответа"),
    "resolved_at": ("resolved", "closed", "closed at", "solved", "solved at",
                    "resolution date", "close date", "решено", "закрыто", "дата закрытия",
                    "дата решения", "решен", "закрыт", "время решения"),
    "channel": ("source", "via", "канал", "канал обращения", "источник", "канал связи"),
    "is_complaint": ("complaint", "complaints", "is complaint", "жалоба", "претензия",
                     "это жалоба", "признак жалобы"),
    "category": ("topic", "type", "subject", "reason", "категория", "тема", "тип обращения",
                 "причина", "тематика"),
    "order_id": ("order", "order number", "order no", "order id", "receipt", "receipt number",
                 "invoice", "invoice number", "заказ", "номер заказа", "id заказа",
                 "номер чека", "чек", "номер покупки"),
    "ordered_at": ("order date", "ordered", "order time", "purchase date", "purchased at",
                   "paid at", "дата заказа", "время заказа", "дата покупки", "дата чека",
                   "дата оплаты"),
    "amount": ("total", "order total", "sum", "revenue", "order amount",
               "сумма", "сумма заказа", "сумма чека", "сумма покупки", "выручка", "стоимость",
               "итого"),
}

#: A bare "id" or "номер" is the id of the table it is in.
_OWN_ID = {"customers": "customer_id", "tickets": "ticket_id", "orders": "order_id"}
_BARE_IDS = ("id", "номер", "no", "number", "код")

_ONLY_IN = {"signup_date": "customers", "churn_date": "customers",
            "responded_at": "surveys", "nps_score": "surveys", "csat_score": "surveys",
            "touchpoint": "surveys", "ticket_id": "tickets", "created_at": "tickets",
            "first_response_at": "tickets", "resolved_at": "tickets", "channel": "tickets",
            "is_complaint": "tickets", "category": "tickets", "order_id": "orders",
            "ordered_at": "orders", "amount": "orders"}

#: Words of file or sheet names, per table.
TABLE_WORDS: dict[str, tuple[str, ...]] = {
    "customers": ("customers", "customer", "clients", "client", "users", "accounts",
                  "клиенты", "клиент", "абоненты", "пользователи", "покупатели"),
    "surveys": ("surveys", "survey", "nps", "csat", "responses", "feedback", "опросы",
                "опрос", "анкеты", "оценки", "ответы", "отзывы"),
    "tickets": ("tickets", "ticket", "cases", "requests", "contacts", "support",
                "обращения", "обращение", "заявки", "тикеты", "жалобы", "поддержка"),
    "orders": ("orders", "order", "sales", "purchases", "transactions", "receipts",
               "заказы", "заказ", "продажи", "покупки", "чеки"),
}


def normalise(text: str) -> str:
    """Lower case, ``ё`` as ``е``, runs of other characters than letters and digits as one
    space."""
    text = text.casefold().replace("ё", "е")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


HEADERS: dict[str, str] = {normalise(w): col for col, words in _SYNONYMS.items()
                           for w in (col, *words)}


#: A creation date is the sign-up of a customer, the answer time of a survey and the time of
#: an order.
_ALIAS = {("customers", "created_at"): "signup_date", ("surveys", "created_at"): "responded_at",
          ("orders", "created_at"): "ordered_at"}


def field_for(header: str, table: str) -> str | None:
    """The column ``header`` most likely is in ``table`` (``None``: not one of ours)."""
    key = normalise(header)
    if key in _BARE_IDS:
        return _OWN_ID.get(table)
    col = HEADERS.get(key)
    if col is None:
        return None
    col = _ALIAS.get((table, col), col)
    home = _ONLY_IN.get(col)
    return col if home in (None, table) else None


def table_for_name(name: str) -> str | None:
    """The table a file or sheet name points to (``None``: the name does not say)."""
    words = set(normalise(name.rsplit(".", 2)[0] if "." in name else name).split())
    for table, names in TABLE_WORDS.items():
        if words & set(names):
            return table
    return None
