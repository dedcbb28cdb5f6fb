"""One package per chat platform; each is the only place that names its platform or imports its SDK."""
