"""The dashboard: a shell rendered at once, then one partial per stats card and per client row."""

from typing import Any

from web.dashboard.cards import CARDS
from web.dashboard.client_list import LIST, ROW
from web.partial import Partial

PARTIALS: list[Partial[Any, Any]] = [*CARDS, LIST, ROW]
