"""Drills (演练): a day written as a file, played on a simulated clock, its expectations checked."""
