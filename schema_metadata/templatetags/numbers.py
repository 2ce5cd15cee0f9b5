"""Numbers as a person reads them: thousands separators, milliseconds that scale to seconds."""

from django import template

register = template.Library()


@register.filter
def num(value, decimals=0):
    """1234567.8 -> "1,234,568" (or with `decimals` places); empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    places = int(decimals)
    if places == 0:
        return f"{round(number):,}"
    return f"{number:,.{places}f}"


@register.filter
def ms(value):
    """A duration in milliseconds: "0.042 ms", "12.3 ms", "1,234 ms", "12.3 s"."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if number >= 10_000:
        return f"{number / 1000:,.1f} s"
    if number >= 100:
        return f"{number:,.0f} ms"
    if number >= 1:
        return f"{number:,.1f} ms"
    return f"{number:.3f} ms"


@register.filter
def yesno_words(value, words="yes,no"):
    """True/False as words (never Python's "True"/"None")."""
    yes, _, no = words.partition(",")
    return yes if value else no
