"""Members: joining by invite, binding chats, language, help, and the roster."""
