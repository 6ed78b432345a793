"""Reminders, and the occurrence engine they run on.

Something is due for someone at a moment a rule gives; it must go out exactly once, and one
found late (the bot was down) is caught up within a grace, else listed as missed. That is the
engine (engine.py); its users are sources:
- meeting and duty reminders from the org file's `reminders:` (tick.py, recorded in ledger.py:
  reminder_occurrences and reminder_sends),
- report chasing: the reminders before a form's deadline and the late list after it
  (services/forms/chase.py, recorded in report_chase_marks).

Modules, by concern:
| module         | what it holds                                                              |
|----------------|----------------------------------------------------------------------------|
| engine.py      | `Due`, the one catch-up policy `decide`, `Source`, `run` (a round)         |
| ledger.py      | occurrence rows and send rows under unique keys; one-time notices          |
| rules.py       | the org file's rules compiled, their state (since when, paused), targets   |
| occurrences.py | occurrence maths: a rule's moments in a window, the current and next one   |
| tick.py        | the rules as a source; the tick, its notices, the scheduler step           |
| texts.py       | what reminders and the notices to the coordinators say                     |
| control.py     | pause, resume, remind now                                                  |
| views.py       | /reminders for the coordinators                                            |
| meetings.py    | 已召开 / 改期 and the held meetings the bulletin counts                    |
| dates.py       | dates typed by people                                                      |

Why the tables stayed as they were: the two sources record in different tables (reminders per
department and lead time, under an occurrence row that also carries a meeting's state; report
chasing per form, month and moment, the departments still owing being found at send time).
Moving both into one table would change nothing the office sees, would need a migration that
re-keys every mark of a deployed office, and would make the bulletin, the tests and the
meeting buttons read a generic table instead of their own. So the engine is one and owns the
policy and the round (decide → record under the key → send only what this round recorded);
each source keeps its ledger (three methods: recorded, open, record).

Adding a third source (work-plan tasks, next) is one class and one step, no migration:
    class PlanTasks(engine.Source[TaskMoment, ReminderOccurrence, ReminderSend]):
        due()      each task's reminder moments that have come, as
                   Due(key=f"plan:{task}:{dept}:{period}:{lead}", group=(task, dept, period),
                       fire_at=…, grace_until=fire_at + grace, item=TaskMoment(...))
        recorded() ledger.recorded_keys
        open()     Slot(await ledger.occurrence_row(session, OccurrenceRef(f"plan:{task}", …)),
                        settled=<the task is done>)
        record()   ledger.record_send(…, kind=SendKind.SCHEDULED, …)
        send()     the outbox row (services/outbox.py)
    async def plan_step(rt, now):  # appended to scheduler/jobs.py STEPS
        async with rt.transaction() as session:
            await engine.run(session, PlanTasks(...), now)
reminder_occurrences holds any (rule key, department, period) and reminder_sends any key, so
the task's rows live beside the meetings' under their own `plan:` keys.
"""
