"""A delivery test bench: the production Application on the fake Telegram, in virtual time.

The fake Telegram enforces Telegram's limits on the same virtual clock the courier paces
with, so a 429 in these tests means the courier broke a limit. Nothing sleeps: waiting moves
the FakePacing clock (and the wall FakeClock with it).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from telegram.ext import Application

from bot.app import BuildOptions, build_application, infra_of, startup
from bot.delivery import Courier
from bot.ratelimit import FakePacing
from bot.settings import load_settings
from faketg import FakeRequest, FakeTelegram
from models.chats import BoundChat
from models.org import Department
from models.outbox import OutboxMessage, OutboxStatus
from services.clock import FakeClock
from services.groups import bind_group
from services.outbox import Outgoing, enqueue, enqueue_to_department
from services.people import person_by_user
from services.runtime import Runtime
from sim.simulation import FAKE_TOKEN

ADMIN = 1001


class World:
    """One Application (or several, sharing a database) against one fake Telegram."""

    def __init__(
        self,
        database_url: str,
        clock: FakeClock,
        *,
        limits: bool = True,
        request_class: type[FakeRequest] = FakeRequest,
    ) -> None:
        self.request_class = request_class
        self.database_url = database_url
        self.clock = clock
        self.pacing = FakePacing(wall=clock)
        self.tg = FakeTelegram(enforce_limits=limits, clock=self.pacing.monotonic)
        self.apps: list[Application] = []
        self.admin = self.tg.user(ADMIN, "王", "协调", started=True)

    async def start(self, *, rate_limiter: bool = True, shared_budget: bool = True) -> Application:
        settings = load_settings(
            telegram_bot_token=FAKE_TOKEN,
            database_url=self.database_url,
            firegrid_admins=str(ADMIN),
            firegrid_tick_seconds=1,
        )
        app = build_application(
            settings,
            BuildOptions(
                request=self.request_class(self.tg),
                updates_request=FakeRequest(self.tg),
                clock=self.clock,
                rate_limiter=rate_limiter,
                scheduler=False,
                migrate=False,
                pacing=self.pacing,
                shared_budget=shared_budget,
            ),
        )
        await app.initialize()
        await startup(app)
        self.tg.attach(app)
        self.apps.append(app)
        return app

    async def stop(self) -> None:
        for app in self.apps:
            await app.shutdown()
            await app.post_shutdown(app)  # type: ignore[misc]
        self.apps.clear()

    @property
    def app(self) -> Application:
        return self.apps[0]

    @property
    def rt(self) -> Runtime:
        runtime = self.app.bot_data.runtime
        assert runtime is not None
        return runtime

    def courier(self, app: Application | None = None) -> Courier:
        return infra_of(app or self.app).courier

    async def deliver(self) -> int:
        return await self.courier().deliver_due()

    async def drain(self, *, rounds: int = 50) -> None:
        """Deliver until nothing is due, letting virtual time pass between passes."""
        for _ in range(rounds):
            await self.deliver()
            if not await self.due_rows():
                return
            await self.pacing.sleep(1.0)
        raise AssertionError("the outbox did not drain")

    async def due_rows(self) -> list[OutboxMessage]:
        async with self.rt.transaction() as s:
            return list(
                await s.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                    )
                )
            )

    async def rows(self) -> list[OutboxMessage]:
        async with self.rt.transaction() as s:
            return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def row(self, row_id: int) -> OutboxMessage:
        async with self.rt.transaction() as s:
            row = await s.get(OutboxMessage, row_id)
            assert row is not None
            return row

    async def send(self, chat_id: int, text: str, **kwargs: Any) -> int:
        """Enqueue one message (as a use case would) and return its row id."""
        message = Outgoing(text=text, **kwargs)
        async with self.rt.transaction() as s:
            row_id = await enqueue(s, message, chat_id=chat_id, now=self.clock.now())
        assert row_id is not None
        return row_id

    async def to_department(self, key: str, text: str, *, dedupe_key: str | None = None) -> None:
        async with self.rt.transaction() as s:
            dept_id = await s.scalar(select(Department.id).where(Department.key == key))
            assert dept_id is not None
            await enqueue_to_department(
                s,
                Outgoing(text=text),
                department_id=dept_id,
                now=self.clock.now(),
                dedupe_key=dedupe_key,
            )

    async def bind(self, key: str, chat_id: int, title: str = "工作群") -> None:
        async with self.rt.transaction() as s:
            actor = await person_by_user(s, ADMIN)
            assert actor is not None
            await bind_group(
                s,
                actor=actor,
                department_text=key,
                chat_id=chat_id,
                thread_id=None,
                chat_type="group",
                title=title,
                now=self.clock.now(),
            )

    async def binding(self, key: str) -> BoundChat:
        async with self.rt.transaction() as s:
            found = await s.scalar(
                select(BoundChat)
                .join(Department, Department.id == BoundChat.department_id)
                .where(Department.key == key, BoundChat.unbound_at.is_(None))
            )
            assert found is not None
            return found

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.tg.bot_messages(chat_id)]

    def texts_by_chat(self) -> dict[int, list[str]]:
        seen: dict[int, list[str]] = defaultdict(list)
        for message in self.tg.all_messages():
            if message.from_bot and not message.service:
                seen[message.chat_id].append(message.text)
        return dict(seen)

    @property
    def rejected(self) -> int:
        return self.tg.limits.rejected if self.tg.limits is not None else 0
