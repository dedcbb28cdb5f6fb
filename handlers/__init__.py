"""The features, one package each, exporting ``FEATURE`` and the public API other features use.

A feature imports another only through its package (``from lianfang.handlers.alerts import raise_check_alert``),
and only downward in this order, so there is no cycle:
shared → alerts → referrals → observation → checks → screening → coverage → supplies → stability → supervision
→ duty → meetings → leave → daily_report → report_files → dashboard → membership
→ undeliverable → retention. ``shared`` holds the domain
helpers every feature may use and is not a feature.
"""
