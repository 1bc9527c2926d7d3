"""Amounts written in words, as Russian and English invoices and acts state the total.

num2words knows the currency names of some currencies only (RUB, USD, EUR...); the others
used by Hostkeep's providers are named here, with the Russian plural forms (one, few, many).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

# currency -> language -> (major forms, minor forms); English: (singular, plural);
# Russian: (1, 2-4, 5-20), plus the grammatical gender of the major unit for "one/two".
CURRENCY_NAMES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "ZAR": {
        "en": (("rand", "rand"), ("cent", "cents")),
        "ru": (("ранд", "ранда", "рандов"), ("цент", "цента", "центов")),
    },
    "RUB": {
        "en": (("rouble", "roubles"), ("kopeck", "kopecks")),
        "ru": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    },
    "USD": {
        "en": (("dollar", "dollars"), ("cent", "cents")),
        "ru": (("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
    },
    "EUR": {"en": (("euro", "euro"), ("cent", "cents")), "ru": (("евро", "евро", "евро"), ("цент", "цента", "центов"))},
    "KZT": {
        "en": (("tenge", "tenge"), ("tiyn", "tiyn")),
        "ru": (("тенге", "тенге", "тенге"), ("тиын", "тиына", "тиынов")),
    },
    "BYN": {
        "en": (("Belarusian rouble", "Belarusian roubles"), ("kopeck", "kopecks")),
        "ru": (("белорусский рубль", "белорусских рубля", "белорусских рублей"), ("копейка", "копейки", "копеек")),
    },
    "GBP": {
        "en": (("pound", "pounds"), ("penny", "pence")),
        "ru": (("фунт", "фунта", "фунтов"), ("пенс", "пенса", "пенсов")),
    },
}
# Units of feminine gender in Russian ("одна копейка", "две копейки").
FEMININE = {"копейка"}


def _russian_form(number: int, forms: tuple[str, ...]) -> str:
    last_two, last = number % 100, number % 10
    if 11 <= last_two <= 19:
        return forms[2]
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def _russian_number(number: int, feminine: bool) -> str:
    words = str(num2words(number, lang="ru"))
    if feminine:
        # num2words writes the masculine "один/два" for the last group; a feminine unit
        # needs "одна/две" (thousands are already feminine in num2words' output).
        parts = words.split(" ")
        if parts[-1] == "один":
            parts[-1] = "одна"
        elif parts[-1] == "два":
            parts[-1] = "две"
        words = " ".join(parts)
    return words


def amount_in_words(amount: Decimal | str, currency: str, language: str) -> str:
    """``1234.50 ZAR`` -> "One thousand, two hundred and thirty-four rand, 50 cents" (or
    "Одна тысяча двести тридцать четыре ранда 50 центов"); the minor part stays in figures, as
    accountants write it. A negative amount (a credit note) is written as its absolute value."""
    value = abs(Decimal(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    major = int(value)
    minor = int((value - major) * 100)
    names = CURRENCY_NAMES.get(currency, {}).get(language)
    if language == "ru":
        if names is None:
            return f"{_russian_number(major, False)} {currency} {minor:02d}".capitalize()
        major_forms, minor_forms = names
        words = _russian_number(major, major_forms[0] in FEMININE)
        text = f"{words} {_russian_form(major, major_forms)} {minor:02d} {_russian_form(minor, minor_forms)}"
        return text.capitalize()
    words = str(num2words(major, lang="en"))
    if names is None:
        return f"{words} {currency} {minor:02d}".capitalize()
    major_forms, minor_forms = names
    major_name = major_forms[0] if major == 1 else major_forms[1]
    minor_name = minor_forms[0] if minor == 1 else minor_forms[1]
    return f"{words} {major_name}, {minor:02d} {minor_name}".capitalize()
