"""In memory: an adapter that keeps what it sends, for tests and the demo."""
