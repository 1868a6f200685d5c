"""Partials: declared once (web/partial.py), then routed, cached, timed, isolated and previewed from
that declaration.

A `Partial` names its template (`partials/<name>.html`), how it reads its input, how it loads its
context, how long its result may be cached and the fixtures that show it without a database. The
`Registry` serves them: one URL each (`/partials/<name>?...`), results cached in aiocache, each
distinct cache miss computed once while concurrent requests for it wait (single flight), and any
failure or overrun rendered as the partial's own error state, so one partial never breaks a page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Generic

from cachetools import LRUCache
from jinja2 import Environment
from markupsafe import Markup
from starlette.datastructures import QueryParams

from web import timing
from web.cache import GuardedCache
from web.db import Database, DatabaseUnavailable
from web.db.versions import Versions
from web.partial import BadInput, C, Frame, NotFound, P, Partial, Prefill, render_or_explain

log = logging.getLogger("billable.partials")

# A request gives up on a partial after its budget, but the computation goes on to fill the cache (the
# Retry then finds it there), up to this many budgets: past that its queries are cancelled, so a
# lock or a hung server cannot hold a connection for good (issue #18).
WORK_BUDGET_FACTOR = 6
# What a process remembers besides the cache itself, each bounded (least recently used goes first):
# under steady writes and many filters these grew by megabytes a minute (issue #18's soak).
MEMO_ENTRIES = 1_024  # parsed inputs, fresh entries, loading states
# Inputs of a partial with load_many asked for within this are loaded together. A browser asks for a
# page's rows six at a time (one per connection), so a window catches a few; a page that names its
# rows (follow) or a streamed page asks for all of them at once.
BATCH_WINDOW_S = 0.002
MEMO_RENDERED_CHARS = 16 * 2**20  # rendered HTML, in characters


@dataclass
class Asked(Generic[P]):
    """One partial asked for with one input, worked out once: what the frame, the cache key and
    the cache-version scopes need from the input. A dashboard asks for the same partials again and
    again (57 per page); parsing the query and building the frame were a fifth of a cached one."""

    partial: Partial[P, Any]
    params: P
    key: str  # partial.key(params)
    scopes: Sequence[str]  # partial.depends(params)
    frame: Frame  # the loading state's
    loaded: dict[tuple[bool, str], Frame] = field(default_factory=dict)  # by (stale, viewer role)

    @classmethod
    def of(cls, partial: Partial[P, Any], params: P) -> Asked[P]:
        return cls(partial, params, partial.key(params), tuple(partial.depends(params)), partial.frame(params))

    def loaded_frame(self, stale: bool, viewer_role: str) -> Frame:
        frame = self.loaded.get((stale, viewer_role))
        if frame is None:
            frame = self.loaded[stale, viewer_role] = replace(
                self.frame, state="loaded", stale=stale, viewer_role=viewer_role
            )
        return frame


@dataclass(frozen=True)
class CacheEntry:
    fresh_until: float  # epoch seconds; after it the entry is served stale while it is refreshed
    context: Any
    versions: tuple[int, ...]  # of the partial's scopes when its computation started

    def current(self, versions: tuple[int, ...]) -> bool:
        """Computed after every write that `versions` reflects (another process may be ahead)."""
        return all(have >= want for have, want in zip(self.versions, versions, strict=True))


# An input waiting for its batch: what was asked, its cache key and versions, and the future its
# requests wait on.
_Waiting = tuple[Asked[Any], str, tuple[int, ...], "asyncio.Future[CacheEntry]"]


@dataclass(frozen=True)
class Rendered:
    html: str
    status: int
    cache: str | None  # "hit" | "miss" | None when nothing was loaded


class Registry:
    def __init__(
        self,
        partials: list[Partial[Any, Any]],
        *,
        env: Environment,
        db: Database,
        cache: GuardedCache,
        ttls: Mapping[str, int],
        budget_s: float,
        versions: Versions,
        dev: bool = False,
    ) -> None:
        self.partials = {p.name: p for p in partials}
        self.env, self.db, self.cache, self.ttls, self.budget_s = env, db, cache, ttls, budget_s
        self.versions, self.dev = versions, dev
        # Epoch seconds, against which entries are fresh (fresh_until). Tests move it on instead of
        # waiting out a TTL (tests.support.later).
        self.clock: Callable[[], float] = time.time
        # Computations running, by (cache key, versions): one per key and state of the data.
        self._inflight: dict[tuple[str, tuple[int, ...]], asyncio.Future[CacheEntry]] = {}
        # Inputs of partials with load_many, gathering for their batch (see BATCH_WINDOW_S).
        self._batches: dict[tuple[str, date], list[_Waiting]] = {}
        self._batch_tasks: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references
        self._placeholders: LRUCache[Frame, Markup] = LRUCache(MEMO_ENTRIES)
        # Rendered loaded partials by (cache key, entry, frame): a cache hit is served without
        # rendering again. An entry is identified by its fresh_until, which a recomputation changes.
        self._rendered: LRUCache[tuple[str, float, Frame], str] = LRUCache(MEMO_RENDERED_CHARS, getsizeof=len)
        # What each (partial, query string, today) asks for, parsed once (inputs that parse only).
        self._asked: LRUCache[tuple[str, bytes, date], Asked[Any]] = LRUCache(MEMO_ENTRIES)
        # Fresh entries this process has read or computed, by cache key: a hit is then served
        # without asking the cache (aiocache's call, or a round trip to Redis). Each is served only
        # while its versions are current, so nothing here outlives the figures it holds; an entry
        # past fresh_until is looked up in the cache again, which another process may have refreshed.
        self._fresh: LRUCache[str, CacheEntry] = LRUCache(MEMO_ENTRIES)

    def __getitem__(self, name: str) -> Partial[Any, Any]:
        return self.partials[name]

    # Rendering

    def render_state(self, partial: Partial[Any, Any], frame: Frame, context: Any = None) -> str:
        return render_or_explain(self.env, partial, frame, context, dev=self.dev)

    def placeholder(self, partial: Partial[P, Any], params: P) -> Markup:
        """The loading state, for a page shell to fetch the partial from."""
        return self.placeholder_of(partial.frame(params))

    def placeholder_of(self, frame: Frame) -> Markup:
        """A frame's loading state (templates call it as placeholder(frame)). It depends on the frame
        alone, so it is rendered once per frame: a page shell or a client list shows dozens."""
        html = self._placeholders.get(frame)
        if html is None:
            html = Markup(self.render_state(self.partials[frame.name], frame))
            self._remember(self._placeholders, frame, html)
        return html

    def _remember(self, memo: LRUCache[Any, Any], key: Any, value: Any) -> None:
        if self.dev:  # in development templates and code change under us: nothing is kept
            return
        with suppress(ValueError):  # larger than the whole memo: not kept
            memo[key] = value

    async def serve(self, partial: Partial[Any, Any], query: bytes, today: date, viewer_role: str) -> Rendered:
        """GET /partials/<name>?<query>: the partial for that query string, or, when the input is
        unusable, its error state saying why. Never raises."""
        asked = self._asked.get((partial.name, query, today))
        if asked is None:
            try:
                params = partial.parse(QueryParams(query), today)
            except BadInput as exc:
                return self._bad_input(partial, exc)
            asked = Asked.of(partial, params)
            self._remember(self._asked, (partial.name, query, today), asked)
        return await self._render(asked, today, viewer_role)

    def serve_now(self, partial: Partial[Any, Any], query: bytes, today: date, viewer_role: str) -> Rendered | None:
        """serve() when the answer is at hand, without waiting: a fresh entry this process holds
        (rendered now if this frame of it was not yet). None otherwise. (A warm streamed page takes
        its 200 rows this way, without a task each: a sixth of its server time.)"""
        asked = self._asked.get((partial.name, query, today))
        if asked is None:
            return None
        key = self._key(asked, today)
        entry = self._fresh_here(key, self.versions.of(asked.scopes), self.clock())
        if entry is None:
            return None
        return Rendered(self._html(asked.partial, key, entry, asked.loaded_frame(False, viewer_role)), 200, "hit")

    async def render(self, partial: Partial[P, Any], params: P, today: date, viewer_role: str = "staff") -> Rendered:
        """The partial loaded (from cache or the database), or its error state. Never raises."""
        return await self._render(Asked.of(partial, params), today, viewer_role)

    async def _render(self, asked: Asked[Any], today: date, viewer_role: str) -> Rendered:
        partial = asked.partial
        try:
            key, entry, outcome = await self._load_cached(asked, today)
        except NotFound as exc:
            return self._error(asked, 404, str(exc) or "Not found.", retry=False)
        except TimeoutError:
            log.warning("partial %s exceeded its %.1fs budget", partial.name, self.budget_s)
            return self._error(asked, 504, "This is taking too long.", retry=True)
        except DatabaseUnavailable as exc:
            log.warning("partial %s: %s", partial.name, exc)
            return self._error(asked, 503, "The database is not answering just now.", retry=True)
        except Exception:
            log.exception("partial %s failed", partial.name)
            return self._error(asked, 500, "This could not be loaded.", retry=True)
        frame = asked.loaded_frame(outcome == "stale", viewer_role)
        if outcome == "stale":
            computed_at = entry.fresh_until - self.ttls[partial.cache_kind]
            frame = replace(frame, stale_minutes=int((self.clock() - computed_at) // 60))
        return Rendered(self._html(partial, key, entry, frame), 200, outcome)

    def _html(self, partial: Partial[Any, Any], key: str, entry: CacheEntry, frame: Frame) -> str:
        """The entry rendered in this frame: once per entry (told apart by its fresh_until) and frame."""
        html = self._rendered.get((key, entry.fresh_until, frame))
        if html is None:
            html = self.render_state(partial, frame, entry.context)
            self._remember(self._rendered, (key, entry.fresh_until, frame), html)
        return html

    async def load_context(self, partial: Partial[P, C], params: P, today: date) -> C:
        """The partial's context through the cache, as a request would get it (for cache warming)."""
        _, entry, _ = await self._load_cached(Asked.of(partial, params), today)
        context: C = entry.context
        return context

    async def clear(self) -> None:
        """Empty the partial cache, and what this process remembers of its entries."""
        await self.cache.clear()
        self.forget()

    def forget(self) -> None:
        """Drop what this process remembers of cached entries (when the cache was emptied elsewhere)."""
        self._fresh.clear()
        self._rendered.clear()

    def _bad_input(self, partial: Partial[Any, Any], exc: BadInput) -> Rendered:
        frame = Frame(partial.name, "partial-error", "", state="error", message=str(exc))
        return Rendered(self.render_state(partial, frame), 400, None)

    def _error(self, asked: Asked[Any], status: int, message: str, *, retry: bool) -> Rendered:
        frame = replace(asked.frame, state="error", message=message, retry=retry)
        return Rendered(self.render_state(asked.partial, frame), status, None)

    # Loading: cache, single flight, time budget

    async def _load_cached(self, asked: Asked[Any], today: date) -> tuple[str, CacheEntry, str]:
        """The cache key and the entry holding the context: from the cache ("hit"), an expired entry
        while it is refreshed in the background ("stale"), or computed now ("miss")."""
        key, versions = self._key(asked, today), self.versions.of(asked.scopes)
        now = self.clock()
        entry = self._fresh_here(key, versions, now)
        if entry is not None:
            return key, entry, "hit"
        entry = await self._cache_get(key)
        if isinstance(entry, CacheEntry) and entry.current(versions):
            if now < entry.fresh_until:
                self._keep_fresh(key, entry)
                return key, entry, "hit"
            self._computation(asked, today, key, versions)  # refresh; this request does not wait
            return key, entry, "stale"
        task = self._computation(asked, today, key, versions)
        # shield: a request that gives up (budget, disconnect) leaves the work to finish and
        # fill the cache, so a retry finds it there. The wait counts against the request's own
        # budget too: a user check that waited for a connection leaves the partial less.
        left = timing.seconds_left()
        async with asyncio.timeout(self.budget_s if left is None else max(0.0, min(self.budget_s, left))):
            return key, await asyncio.shield(task), "miss"

    def _fresh_here(self, key: str, versions: tuple[int, ...], now: float) -> CacheEntry | None:
        """The entry this process holds for `key`, while it is fresh and current."""
        entry = self._fresh.get(key)
        return entry if entry is not None and now < entry.fresh_until and entry.current(versions) else None

    def _keep_fresh(self, key: str, entry: CacheEntry) -> None:
        held = self._fresh.get(key)
        if held is None or entry.current(held.versions):  # a late old computation replaces nothing newer
            self._remember(self._fresh, key, entry)

    def _key(self, asked: Asked[Any], today: date) -> str:
        # Today, for figures such as MRR. The versions are in the entry, not the key: a write then
        # replaces an entry instead of leaving every old one behind until it expires.
        return f"{asked.partial.name}:{today}:{asked.key}"

    def _computation(
        self, asked: Asked[Any], today: date, key: str, versions: tuple[int, ...]
    ) -> asyncio.Future[CacheEntry]:
        """The one computation of this key and versions in this process (single flight): joined if
        running; for a partial with load_many, part of a batch."""
        flight = (key, versions)
        task = self._inflight.get(flight)
        if task is None:
            if asked.partial.load_many is not None:
                task = self._in_batch(asked, today, key, versions)
            else:
                task = asyncio.ensure_future(self._fill(asked, today, key, versions))
            self._inflight[flight] = task
            task.add_done_callback(lambda done: self._forget(flight, done))
        return task

    async def _fill(self, asked: Asked[Any], today: date, key: str, versions: tuple[int, ...]) -> CacheEntry:
        partial = asked.partial
        with timing.within(self.budget_s * WORK_BUDGET_FACTOR, own=True):
            context = await partial.load(self.db, asked.params, today)
        following = partial.follow(asked.params, context) if partial.follow else None
        if following is not None:
            self._prefill(following, today)
        entry = self._entry(partial, context, versions)
        self._keep_fresh(key, entry)
        await self._cache_set([(key, entry)], partial)
        return entry

    def _entry(self, partial: Partial[Any, Any], context: Any, versions: tuple[int, ...]) -> CacheEntry:
        return CacheEntry(self.clock() + self.ttls[partial.cache_kind], context, versions)

    async def _cache_set(self, pairs: list[tuple[str, CacheEntry]], partial: Partial[Any, Any]) -> None:
        # Kept for twice its TTL: fresh for the first, served stale while refreshed in the second.
        await self.cache.multi_set(pairs, ttl=2 * self.ttls[partial.cache_kind])

    # Batches: inputs of one partial loaded together (Partial.load_many)

    def _prefill(self, prefill: Prefill[Any, Any], today: date) -> None:
        """Start computing the inputs a result names that are neither fresh here nor being computed.
        Each is in flight from now on, so its request, arriving a moment later, joins it; once done,
        the request finds it fresh in the cache. Keys are taken now, before anything is read: a write
        meanwhile moves them, and what was read is never served after."""
        now = self.clock()
        for params in prefill.params:
            asked = Asked.of(prefill.partial, params)
            key, versions = self._key(asked, today), self.versions.of(asked.scopes)
            if self._fresh_here(key, versions, now) is None:
                self._computation(asked, today, key, versions)

    def _in_batch(
        self, asked: Asked[Any], today: date, key: str, versions: tuple[int, ...]
    ) -> asyncio.Future[CacheEntry]:
        """A future for this input, loaded with the other inputs of its partial asked for within
        BATCH_WINDOW_S, in one call of its load_many."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[CacheEntry] = loop.create_future()
        gathering = (asked.partial.name, today)
        batch = self._batches.get(gathering)
        if batch is None:
            batch = self._batches[gathering] = []
            loop.call_later(BATCH_WINDOW_S, self._start_batch, gathering)
        batch.append((asked, key, versions, future))
        return future

    def _start_batch(self, gathering: tuple[str, date]) -> None:
        waiting = self._batches.pop(gathering)
        task = asyncio.ensure_future(self._fill_together(waiting[0][0].partial, waiting, gathering[1]))
        self._batch_tasks.add(task)
        task.add_done_callback(self._batch_tasks.discard)

    async def _fill_together(self, partial: Partial[Any, Any], waiting: list[_Waiting], today: date) -> None:
        assert partial.load_many is not None
        try:
            with timing.within(self.budget_s * WORK_BUDGET_FACTOR, own=True):
                contexts = await partial.load_many(self.db, [asked.params for asked, *_ in waiting], today)
        except Exception as exc:  # every waiting request fails the same way and shows its error state
            for *_, future in waiting:
                future.set_exception(exc)
            return
        filled, missing = [], []
        for (asked, key, versions, future), context in zip(waiting, contexts, strict=True):
            if context is None:
                missing.append((asked, key, versions, future))
                continue
            entry = self._entry(partial, context, versions)
            self._keep_fresh(key, entry)
            future.set_result(entry)
            filled.append((key, entry))
        if filled:
            await self._cache_set(filled, partial)
        for asked, key, versions, future in missing:  # gone (or never there): its own load says what is missing
            try:
                future.set_result(await self._fill(asked, today, key, versions))
            except Exception as exc:
                future.set_exception(exc)

    async def _cache_get(self, key: str) -> Any:
        return await self.cache.get(key)  # None when the cache is down: an outage costs speed, not answers

    def _forget(self, flight: tuple[str, tuple[int, ...]], task: asyncio.Future[Any]) -> None:
        self._inflight.pop(flight, None)
        # Retrieved here so asyncio does not complain; a waiting request logs it, and a background
        # refresh has nobody waiting, so say it here. NotFound is an answer (a 404), not a failure.
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, NotFound):
            log.warning("computing %s failed: %r", flight[0], error)
