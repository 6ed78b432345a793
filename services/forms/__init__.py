"""Monthly reports (月报).

The form machine, pure: config.py (the forms file), flow.py (the step from the draft, each
operation a new draft and a one-line refusal), answers.py (typed answers), screens.py.
The use cases, each in the caller's transaction: deadlines.py (when forms are due, which a
department owes), submissions.py (the rows; who may fill and for which month),
conversation.py (/report: open, answer, submit), coordinators.py (/status, /reports, /unlock),
chase.py (reminders before the deadline and the late list, on the occurrence engine of
services/reminders/), bulletin_read.py (the submitted reports of a month).
"""
