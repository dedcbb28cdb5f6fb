"""WeChat Work (企业微信): the self-built app's API, callbacks and adapter."""
