"""Urgent alerts (重要情况随时报告), acknowledged by button and escalated until they are."""
