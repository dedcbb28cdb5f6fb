"""The console: a chat in the terminal, for trying the bot without a platform."""
