"""Human-readable dates that keep their precision and say when they were inferred."""

from __future__ import annotations


def date_label(start: str | None, end: str | None, precision: str, inferred: bool = False) -> str:
    """'2022-02', 'winter 2022-12 – 2023-02-23', 'on or before 2023-02-23', with '(inferred)'.

    Dates are ISO strings; the label never claims more precision than `precision` allows.
    """
    cut = {"day": 10, "month": 7, "year": 4}.get(precision, 10)
    if not start and not end:
        label = "date unknown"
    elif not start:
        label = f"on or before {end}"
    elif not end:
        label = f"from {start[:cut]}"
    elif precision == "season":
        label = f"season {start[:7]} – {end}"
    elif start[:cut] == end[:cut]:
        label = start[:cut]
    else:
        label = f"{start[:cut]} – {end[:cut]}"
    return f"{label} (inferred)" if inferred else label
