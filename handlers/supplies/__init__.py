"""Supply needs (物资需求) logged by field staff."""
