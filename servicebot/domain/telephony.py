"""Telephony the bot does not see in chat: a switch's totals per day (or interval), desk and line.

Calls answered % = answered ÷ offered; service level = answered within 40 s ÷ answered; average speed of
answer = total wait of answered calls ÷ answered calls; average handle time = total handle time ÷ answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CallRow:
    day: date
    interval_start: str  # "HH:MM", or "" for a whole day
    desk: str
    line: str
    offered: int
    answered: int
    answered_within_40s: int
    abandoned: int
    total_wait_seconds: float
    total_handle_seconds: float

    @property
    def month(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"
