"""Numbers, money, dates and durations in the reader's locale (Babel).

Amounts arrive as the statement's strings. Babel rounds HALF_EVEN, so every amount is first
quantized with the project's own `round_money` (a no-op on a statement's already-rounded amounts)
and only then formatted: the PDF prints exactly the JSON's figures.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_time
from babel import Locale
from babel.numbers import (format_currency, format_decimal, format_percent, get_currency_symbol, get_group_symbol,
                           get_minus_sign_symbol, get_plus_sign_symbol)
from markupsafe import Markup, escape

from ..calculators.money import round_money
from ..calculators.periods import last_local_date
from ..calculators.records import zone_named


# Dates as an accountant outside the United States reads them. Babel's "en" is American: 9/2/26 was
# 2 September, which a Danish or Vietnamese reader takes for 9 February, beside the documents' British
# wording ("licence"); English dates are therefore British (02/09/2026, 2 September 2026). Vietnamese
# short dates had a two-digit year (2/9/26); documents write dd/MM/yyyy. Danish is 02.09.2026 already.
DATE_LOCALES = {"en": "en_GB"}
SHORT_DATES = {"vi": "dd/MM/y"}


class Formatter:
    def __init__(self, locale: str, currency: str, timezone: str, *, html: bool = False,
                 unbroken_up_to: int | None = None):
        """`html`: figures as HTML for the documents, each one an unbreakable `<span class="figure">`, or, with
        `unbroken_up_to`, only those of at most that many characters (`narrow`)."""
        self.locale = locale
        self.currency = currency
        self.zone = zone_named(timezone)  # a zone this host lacks: a 422 problem, not a 500
        self._html = html
        self._date_locale = DATE_LOCALES.get(locale, locale)
        self._short_date = SHORT_DATES.get(locale, "short")
        self.unbroken_up_to = unbroken_up_to
        self._group = re.compile(rf"(?<=\d){re.escape(get_group_symbol(locale))}(?=\d)")
        self._percent_pattern = Locale.parse(locale).percent_formats[None].pattern
        if "#,##0" not in self._percent_pattern:
            raise ValueError(f"unexpected percent pattern for {locale}: {self._percent_pattern!r}")
        self._unspaced = _unspaced_sign(get_currency_symbol(currency, locale))
        self._minus, self._plus = get_minus_sign_symbol(locale), get_plus_sign_symbol(locale)

    def money(self, amount: str | Decimal | None) -> str:
        if amount is None:
            return ""
        return self._figure(self._spaced(format_currency(round_money(Decimal(amount), self.currency),
                                                         self.currency, locale=self.locale)))

    def signed_money(self, amount: str | Decimal | None) -> str:
        """A difference of two amounts, signed either way: +₫800,000 or -₫800,000 (0 has no sign). The
        plus stands where the locale writes the minus (before the sign in en, -800.000 ₫ in vi and da)."""
        if amount is None:
            return ""
        value = round_money(Decimal(amount), self.currency)
        if value <= 0:
            return self.money(value)
        negative = self._spaced(format_currency(value.copy_negate(), self.currency, locale=self.locale))
        return self._figure(negative.replace(self._minus, self._plus, 1))

    def _spaced(self, text: str) -> str:
        """CLDR's currency spacing, which Babel leaves out: a sign whose end at the digits is a letter is
        parted from them by a no-break space. English printed "DKK1,983.30" (CLDR and ICU: "DKK 1,983.30")
        and keeps "$1,983.30" and "₫400,000", whose signs are symbols."""
        for pattern in self._unspaced:
            text = pattern.sub(lambda m: "\u00a0".join(m.groups()), text)
        return text

    def _figure(self, text: str) -> str:
        """In HTML, one figure that never breaks inside itself (style.css `.figure`), where the column gives it
        the room it needs: "147.435,63 DKK" printed as "147." over "435,63 DKK", which an accountant read as
        two numbers, and a cell broke "₫137,438,953,472,000,000" as "₫137,438,953,472,000,00" over "0"."""
        if not self._html:
            return text
        if self.unbroken_up_to is not None and len(text) > self.unbroken_up_to:
            return Markup(self._group.sub(lambda m: m.group() + "<wbr>", str(escape(text))))
        return Markup('<span class="figure">{}</span>').format(text)

    def narrow(self, up_to: int) -> Formatter:
        """This formatter for a table of figures side by side (the support table's rate, quantity and amount):
        a figure longer than `up_to` characters breaks between its digit groups (a line-break opportunity,
        <wbr>, after each group's separator) where its column cannot hold it. Unbreakable, three such figures
        of a 10^14 DKK rate pushed the table up to 105 pt past the page's edge, off an A4 sheet."""
        return Formatter(self.locale, self.currency, self.zone.key, html=self._html, unbroken_up_to=up_to)

    def number(self, value: str | Decimal | int | None, places: int | None = None) -> str:
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "#" * places if places else "")
        return self._figure(format_decimal(Decimal(value), format=pattern if places is not None else None,
                                           locale=self.locale, decimal_quantization=places is not None))

    def rate(self, value: str | Decimal | None) -> str:
        """A price per hour or km: every digit it has (a discounted rate may have more than the currency)."""
        if value is None:
            return ""
        return self._figure(self._spaced(format_currency(Decimal(value), self.currency, locale=self.locale,
                                                         decimal_quantization=False)))

    def percent(self, value: str | Decimal | None) -> str:
        """In the locale's own percent pattern (99.6527% in en and vi, 99,6527 % in da), with every
        digit the statement has, trailing zeros included: a PDF must not round what the JSON shows."""
        if value is None:
            return ""
        number = Decimal(value)
        places = max(0, -number.as_tuple().exponent)
        pattern = self._percent_pattern.replace("#,##0", "#,##0" + ("." + "0" * places if places else ""), 1)
        return self._figure(format_percent(number.scaleb(-2), format=pattern, locale=self.locale))

    def date(self, value: str | date | None) -> str:
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, format="long", locale=self._date_locale)

    def last_day(self, period_end: str) -> str:
        """The last local date of a period whose (exclusive) end is given."""
        return self.date(self.last_date(period_end))

    def last_date(self, period_end: str) -> date:
        """The local date of a period's last second (Santiago skips the midnight of 6 September 2026)."""
        return last_local_date(datetime.fromisoformat(period_end), self.zone)

    def local_date(self, value: str) -> str:
        """The date of an instant in the contract's zone (an issue date is the customer's date)."""
        return self.date(self.local(value).date())

    def local(self, value: str | datetime) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(self.zone)

    def datetime(self, value: str | datetime | None) -> str:
        """A moment's local date and time, the time as `time` writes it."""
        if not value:
            return ""
        return (Markup("{} {}") if self._html else "{} {}").format(self.day(value), self.time(value))

    def day(self, value: str | datetime | None) -> str:
        """A moment's local date, dd/MM/yyyy or the locale's short form: one figure (02/09/ over 2026 read as
        two)."""
        return "" if not value else self._figure(format_date(self.local(value).date(), format=self._short_date,
                                                             locale=self._date_locale))

    def time(self, value: str | datetime | None) -> str:
        """HH:mm in every locale (time sheets' form), with the seconds when there are any. A local time
        that happens twice (02:30 on the last Sunday of October in Copenhagen) names its zone, CEST or
        CET: without it two moments an hour apart printed alike, and 02:40-02:20 read as negative."""
        if not value:
            return ""
        local = self.local(value)
        text = format_time(local, format="HH:mm:ss" if local.second else "HH:mm", tzinfo=self.zone,
                           locale=self.locale)
        if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
            text += f" {local.tzname()}"
        return self._figure(text)

    def duration_parts(self, seconds: int | None) -> list[tuple[str, str]]:
        """A duration's whole hours, minutes and seconds, the parts that are not 0, each as (unit, figure)
        with the locale's digits: 4,530 s is [("h", "1"), ("min", "15"), ("s", "30")] and nothing is 0 min.
        base.html words the units from the catalog ("1 h 15 min 30 s", "1 giờ 15 phút 30 giây"): "h:mm"
        read as a time of day ("0:15", "vi phạm (19:00 / 16:00)"). Exact, as durations are whole seconds:
        Babel's format_timedelta rounds (4,530 s is "1 hour") and says days and months for hours."""
        if seconds is None:
            return []
        hours, rest = divmod(int(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        parts = [(unit, self.number(value)) for unit, value in (("h", hours), ("min", minutes), ("s", secs)) if value]
        return parts or [("min", self.number(0))]


def _unspaced_sign(symbol: str) -> list[re.Pattern]:
    """The currency sign touching a digit on a side where the sign is neither a symbol nor a space
    (CLDR currencySpacing: currencyMatch [[:^S:]&[:^Z:]], surroundingMatch [:digit:])."""
    def needs_space(char: str) -> bool:
        return unicodedata.category(char)[0] not in "SZ"

    sign = re.escape(symbol)
    return ([re.compile(rf"({sign})(\d)")] if needs_space(symbol[-1]) else []) + \
        ([re.compile(rf"(\d)({sign})")] if needs_space(symbol[0]) else [])
