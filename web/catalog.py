"""Every partial the app serves, from every page area: the registry, the gallery and the tests read this."""

from __future__ import annotations

from typing import Any

from web.clients.partials import PARTIALS as CLIENT_PARTIALS
from web.dashboard import PARTIALS as DASHBOARD_PARTIALS
from web.partial import Partial
from web.timesheets.partials import PARTIALS as TIMESHEET_PARTIALS

PARTIALS: list[Partial[Any, Any]] = [*DASHBOARD_PARTIALS, *CLIENT_PARTIALS, *TIMESHEET_PARTIALS]
