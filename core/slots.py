"""What a schedule slot is: "HH:MM" every day, or "mon HH:MM" every week.

Its own small module so that the config can validate slots and the scheduler can use them
without the two importing each other (the config is a contract; the scheduler sits above it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT = re.compile(r"^\s*(?:(?P<day>[A-Za-z]{3})[a-z]*\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})\s*$")


@dataclass(frozen=True)
class Slot:
    weekday: int | None  # 0 = Monday; None = every day
    at: time


def parse_slot(text: str) -> Slot:
    """'HH:MM' (daily) or 'mon HH:MM' (weekly). ValueError says what is allowed."""
    match = SLOT.match(text)
    day = match["day"].lower() if match and match["day"] else None
    if not match or (day is not None and day not in WEEKDAYS) or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise ValueError(f"schedule slot {text!r}: use 'HH:MM' (daily) or 'mon HH:MM' (weekly, mon..sun)")
    return Slot(WEEKDAYS.index(day) if day else None, time(int(match["h"]), int(match["m"])))
