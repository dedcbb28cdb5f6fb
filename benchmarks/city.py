"""The city-scale estimate: instances, PostgreSQL and pool for a city's 15:00-15:30 peak, from measured figures.

The arithmetic behind the README's estimate, fed by ``benchmarks/scale.py`` with what it measured per form step:
the CPU time of a lianfang process, the time a step keeps a database connection busy (executing, or held inside a
transaction), its commits and the WAL flushes they cost. Little's law gives the connections in use: rate x time
each is held.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

SUB_DISTRICTS = 150
FIELD_WORKERS = 100_000
PEAK_SECONDS = 30 * 60
FORMS_EACH = 2
"""Forms each field worker files in the peak: the afternoon's check records, before the 15:30 report."""
STEPS_PER_FORM = 9
"""Messages in one /check: the command, seven answers (one skipped) and 提交."""
BURST = 3.0
"""The busiest minute against the half hour's average: many file in the last minutes before 15:30."""
CPU_BUSY_SHARE = 0.6
"""Keep each instance's one CPU (one Python event loop) at most this busy at the burst, for latency."""
POOL_HEADROOM = 2.0
"""Connections per instance (``LIANFANG_DB_POOL_SIZE``): twice its share of those in use at the burst."""
SPARE_CONNECTIONS = 2
"""Per instance, beside the pool's share: the scheduler's leadership and the outbox drain."""
MS = 1000.0


@dataclass(frozen=True)
class CityEstimate:
    """What a city's peak needs, and the load it puts on PostgreSQL."""

    steps_per_second_average: float
    steps_per_second_burst: float
    steps_per_second_burst_per_sub_district: float
    instances: int
    pool_size: int
    """``LIANFANG_DB_POOL_SIZE`` of each instance (``LIANFANG_DB_MAX_OVERFLOW`` covers what the estimate misses)."""
    connections_in_use: float
    connections_total: int
    commits_per_second: float
    wal_flushes_per_second: float
    """Commits that wrote, as the disk sees them (group commit may join several in one flush)."""
    database_cpu_cores: float
    """PostgreSQL's CPU time at the burst, in cores kept busy."""
    database_active_cores: float
    """Its time executing statements, in cores: an upper bound, as that time includes waiting for a CPU or a disk."""

    def as_dict(self) -> dict[str, float | int]:
        """Return the estimate as a dict of rounded figures."""
        return {key: round(value, 1) if isinstance(value, float) else value for key, value in asdict(self).items()}


def estimate(
    *,
    cpu_ms_per_step: float,
    db_cpu_ms_per_step: float,
    db_active_ms_per_step: float,
    db_held_ms_per_step: float,
    commits_per_step: float,
    wal_flushes_per_step: float,
) -> CityEstimate:
    """Work out the city's peak from the measured per-step CPU, database time and commits."""
    average = FIELD_WORKERS * FORMS_EACH * STEPS_PER_FORM / PEAK_SECONDS
    burst = average * BURST
    instances = max(2, math.ceil(burst * cpu_ms_per_step / MS / CPU_BUSY_SHARE))  # two at least, for a handover
    in_use = burst * db_held_ms_per_step / MS
    pool = math.ceil(in_use * POOL_HEADROOM / instances) + SPARE_CONNECTIONS
    return CityEstimate(
        steps_per_second_average=average,
        steps_per_second_burst=burst,
        steps_per_second_burst_per_sub_district=burst / SUB_DISTRICTS,
        instances=instances,
        pool_size=pool,
        connections_in_use=in_use,
        connections_total=pool * instances,
        commits_per_second=burst * commits_per_step,
        wal_flushes_per_second=burst * wal_flushes_per_step,
        database_cpu_cores=burst * db_cpu_ms_per_step / MS,
        database_active_cores=burst * db_active_ms_per_step / MS,
    )
