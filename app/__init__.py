"""The composition root: the features and platforms lianfang runs with, the CLI, the server, the demo."""
