"""Monthly report forms: answers, the form-walking state machine, and (later) drafts and submissions."""
