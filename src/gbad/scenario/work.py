"""The work a scenario asks for, estimated from its numbers before anything runs.

Every value may be inside its bound and the product still exhaust the machine: a day
of 1,000 rounds with truth every 0.01 s. `check_work` estimates the two quantities a
run's memory grows with and refuses a scenario past either limit, naming the keys
that set it, so that `validate` says so and `run` never starts.

- truth samples: each object's flight time over ``truth_interval_s``. An aircraft,
  cruise missile or UAV flies from its route's start to the end; a round at most
  `ROUND_FLIGHT_S` (the locator's `max_flight_s`), a ballistic missile
  `MISSILE_FLIGHT_S`, an interceptor `INTERCEPTOR_FLIGHT_S`;
- looks: each object's flight time times the scans a second of every radar (a radar
  considers every object once a scan);
- false alarms: each radar's pfa times the resolution cells it searches a scan, over
  the run (a pfa of 0.5 asked for 19 GB in a 30-s scenario before it was stopped).

The per-unit costs are measured (docs/scenario.md, "Work limits"): about 0.65 kB a
truth sample and 1.2 kB a look above a run's fixed ≈ 350 MB, so each limit alone
stays near 1.5 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

from gbad.scenario.schema import ROUTE_KINDS, Scenario
from gbad.sensors.radar import RadarModel

ROUND_FLIGHT_S = 300.0
MISSILE_FLIGHT_S = 900.0
INTERCEPTOR_FLIGHT_S = 60.0
MAX_TRUTH_SAMPLES = 2_000_000
MAX_LOOKS = 1_300_000
MAX_FALSE_ALARMS = 1_000_000
KB_PER_SAMPLE = 0.65
KB_PER_LOOK = 1.2


@dataclass(frozen=True)
class Work:
    objects: int
    object_seconds: float
    truth_samples: float
    looks: float
    false_alarms: float

    @property
    def memory_gb(self) -> float:
        """Estimated memory above the fixed part, GB."""
        return (self.truth_samples * KB_PER_SAMPLE + self.looks * KB_PER_LOOK) / 1e6


def estimate(model: Scenario) -> Work:
    hdr = model.scenario
    duration = hdr.duration_s
    objects = 0
    seconds = 0.0
    for threat in model.threats:
        if threat.kind in ROUTE_KINDS:
            start = threat.route[0].t_s if threat.route and threat.route[0].t_s else 0.0
            objects += 1
            seconds += max(duration - start, 0.0)
            continue
        life = MISSILE_FLIGHT_S if threat.kind == "ballistic_missile" else ROUND_FLIGHT_S
        for k in range(threat.count):
            t0 = threat.t_launch_s + k * threat.interval_s
            objects += 1
            seconds += min(max(duration - t0, 0.0), life)
    missiles = sum(ln.missiles for b in model.batteries for ln in b.launchers)
    objects += missiles
    seconds += missiles * min(duration, INTERCEPTOR_FLIGHT_S)
    scans_per_s = sum(1.0 / r.scan.period_s for r in model.radars)
    radars = [RadarModel.from_scenario(r, hdr.origin) for r in model.radars]
    false_alarms = sum(r.pfa * r.n_cells / r.period_s for r in radars) * duration
    return Work(
        objects, seconds, seconds / hdr.truth_interval_s, seconds * scans_per_s, false_alarms
    )


def work_problems(model: Scenario) -> list[str]:
    """What is past a limit, each naming the keys that set it; empty when within."""
    w = estimate(model)
    problems = []
    if w.truth_samples > MAX_TRUTH_SAMPLES:
        problems.append(
            f"scenario.truth_interval_s: this run would hold about {w.truth_samples:,.0f} "
            f"truth samples ({w.objects} objects flying {w.object_seconds:,.0f} s in all, "
            f"one sample every {model.scenario.truth_interval_s:g} s), about "
            f"{w.truth_samples * KB_PER_SAMPLE / 1e6:.1f} GB; the limit is "
            f"{MAX_TRUTH_SAMPLES:,}: raise truth_interval_s, shorten duration_s or fire "
            "fewer rounds (threats[].count)"
        )
    if w.looks > MAX_LOOKS:
        fastest = min(model.radars, key=lambda r: r.scan.period_s)
        problems.append(
            f"radars[].scan.period_s: this run would make about {w.looks:,.0f} looks "
            f"({w.objects} objects flying {w.object_seconds:,.0f} s in all, seen by "
            f"{len(model.radars)} radar(s), the fastest '{fastest.id}' every "
            f"{fastest.scan.period_s:g} s), about {w.looks * KB_PER_LOOK / 1e6:.1f} GB; "
            f"the limit is {MAX_LOOKS:,}: lengthen scan periods, shorten duration_s or "
            "fire fewer rounds (threats[].count)"
        )
    if w.false_alarms > MAX_FALSE_ALARMS:
        problems.append(
            f"radars[].reference.pfa: the radars would raise about {w.false_alarms:,.0f} "
            f"false alarms in {model.scenario.duration_s:g} s (pfa × resolution cells a "
            f"scan × scans); the limit is {MAX_FALSE_ALARMS:,}: lower pfa, coarsen "
            "range_resolution_m or the beams, or shorten duration_s"
        )
    return problems
