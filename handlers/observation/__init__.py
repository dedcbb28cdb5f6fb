"""Key persons under observation (重点人员): follow-ups, escalation, release."""
