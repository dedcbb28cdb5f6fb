"""Telegram: the Bot API adapter."""
