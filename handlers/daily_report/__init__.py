"""The daily group report: form, reminders, chasers and the merged report at the deadline."""
