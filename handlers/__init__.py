"""Feature packages; each exports what it adds to the bot, and `lianfang.app` composes them."""
