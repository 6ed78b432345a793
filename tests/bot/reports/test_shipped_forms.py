"""Every shipped form, filled end to end through the fake Telegram by a member who owes it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.forms import GroupQuestion, PhotosQuestion
from models.org import Department
from models.reports import ReportSubmission, SubmissionStatus
from services.forms.config import load_forms
from services.orgconfig import load_org
from sim.office import ADMIN, last_text
from sim.simulation import FAST_HANDS, Simulation
from tests.bot.reports.filler import comparable, fill
from tests.bot.reports.helpers import clock_at, member

FORMS = load_forms("forms.example.yaml")
ORG = load_org("org.example.yaml")


def first_department(form_key: str) -> str:
    form = FORMS.form(form_key)
    assert form is not None
    return next(d.key for d in ORG.departments if form.filled_by.includes(d.key, d.kind))


def test_the_shipped_forms_use_groups_and_photos_inside_groups():
    kinds = {type(q) for f in FORMS.forms for q in f.questions}
    assert GroupQuestion in kinds and PhotosQuestion in kinds
    assert any(
        isinstance(s, PhotosQuestion)
        for f in FORMS.forms
        for q in f.questions
        if isinstance(q, GroupQuestion)
        for s in q.questions
    )


@pytest.mark.parametrize("form_key", [f.key for f in FORMS.forms])
async def test_each_shipped_form_end_to_end(sqlite_url, form_key):
    form = FORMS.form(form_key)
    assert form is not None
    department = first_department(form_key)
    sim = Simulation(
        database_url=sqlite_url, clock=clock_at(2026, 11, 16), admins=(ADMIN,), flood=FAST_HANDS
    )
    sim.tg.user(ADMIN, "王", "协调")
    await sim.start()
    if department == "coordinator_office":
        actor = sim.tg.actor(ADMIN)
    else:
        actor = await member(sim, 2001, "填报人", department)
    await actor.send(actor.id, f"/report {form.key}")
    assert f"开始填写2026年11月《{form.title}》" in last_text(sim, actor.id)
    expected = await fill(sim, actor, form)
    review = last_text(sim, actor.id)
    assert "请核对以上内容" in review
    for n, q in enumerate(form.questions, start=1):
        assert f"{n}. {q.label}：" in review
    await actor.press(actor.id, "提交")
    assert "已收到，谢谢" in last_text(sim, actor.id)
    async with sim.rt.transaction() as s:
        row = await s.scalar(select(ReportSubmission))
        dept = await s.scalar(select(Department).where(Department.key == department))
    assert row is not None and dept is not None
    assert row.department_id == dept.id and row.form_key == form.key and row.period == "2026-11"
    assert row.status is SubmissionStatus.SUBMITTED and not row.late
    assert row.answers is not None
    assert comparable(form, row.answers) == expected
    sim.tg.check()
    await sim.stop()
