"""A synthetic audience for the metrics benchmark and the demo data set: posts of a framework
that is truly better on a platform get more engagement, everything else is noise.

Per run, one video quality (log-normal, shared by all its posts); per post, a log-normal noise
and Poisson counts. X and LinkedIn report impressions and engagements (the rate carries the
framework's effect); Reddit reports engagements only. `slot_bonus` gives the run's first slot on
a platform extra reach (a confounder the report must not credit to the framework in it).
Nothing here is postgen: it stands in for the platforms.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

FRAMEWORKS = ("hormozi", "garyvee", "naval", "storytelling", "aida")
PLATFORMS = ("linkedin", "x", "reddit")
IMPRESSIONS = {"linkedin": 1500.0, "x": 800.0}  # median impressions of a post at 7 days
RATE = {"linkedin": 0.03, "x": 0.025}  # median engagement rate
COUNT = {"reddit": 25.0}  # median engagements (score + comments) at 7 days
AGES = (("24h", 0.65), ("72h", 0.9), ("7d", 1.0))  # share of the 7-day numbers reached at each age
SLOT_HOURS = {"linkedin": [8.5 + 24 * d for d in range(5)], "x": [9 + 24 * (d // 2) + 8 * (d % 2) for d in range(5)],
              "reddit": [24 + 15 + 72 * (d % 2) + 168 * (d // 2) for d in range(5)]}


def poisson(rng: random.Random, lam: float) -> int:
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


@dataclass
class Audience:
    best: dict[str, str | None]  # platform -> the truly better framework (None: all equal)
    effect: float = 0.35  # its log lift: exp(0.35) = 1.42, 42 % more engaging
    noise: float = 0.45  # per-post log spread
    video_sd: float = 0.5  # run-to-run log spread of video quality
    slot_bonus: float = 0.0  # log extra engagement for the first slot of a run on a platform
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def video(self) -> float:
        return self.rng.gauss(0, self.video_sd)

    def post(self, platform: str, framework: str, video: float, rank: int) -> list[tuple[str, int, int | None]]:
        """(age, engagements, impressions) at each age for one post."""
        lift = (self.effect if self.best.get(platform) == framework else 0.0) + self.rng.gauss(0, self.noise)
        slot = self.slot_bonus if rank == 0 else 0.0
        out = []
        if platform in IMPRESSIONS:
            reach = IMPRESSIONS[platform] * math.exp(0.5 * video + slot + self.rng.gauss(0, 0.3))
            rate = min(0.9, RATE[platform] * math.exp(0.5 * video + lift))
            for age, share in AGES:
                impressions = poisson(self.rng, reach * share)
                out.append((age, poisson(self.rng, impressions * rate), impressions))
        else:
            mean = COUNT[platform] * math.exp(video + lift + slot)
            for age, share in AGES:
                out.append((age, poisson(self.rng, mean * share), None))
        return out


def make_run(week: int, orders: dict[str, list[str]], audience: Audience, start: datetime | None = None,
             caps: dict[str, int] | None = None):
    """A postgen Run for week `week`: every platform's frameworks in `orders` (best slot first),
    published at the platform's slots, with a reading at every age."""
    from postgen.models import Post, PostState, Publication, Reading, Run, Video

    start = start or datetime(2026, 1, 5, tzinfo=timezone.utc)
    created = start + timedelta(weeks=week)
    video = audience.video()
    vid = f"demo{week + 1:03d}"
    posts = []
    for platform, order in orders.items():
        for rank, framework in enumerate(order):
            post = Post(id=Post.make_id(platform, framework), platform=platform, framework=framework,
                        title=f"Demo post {week + 1}" if platform == "reddit" else None, body="")
            if caps and rank >= caps.get(platform, len(order)):
                post.state = PostState.ready  # held back: never published, never read
                posts.append(post)
                continue
            when = created + timedelta(hours=SLOT_HOURS[platform][rank])
            post.scheduled_at = when
            post.state = PostState.published
            post.publication = Publication(remote_id=f"{vid}-{post.id}", published_at=when)
            post.metrics = [Reading(age=age, at=when + {"24h": timedelta(hours=24), "72h": timedelta(hours=72),
                                                         "7d": timedelta(days=7)}[age],
                                    engagements=e, impressions=i) for age, e, i in audience.post(platform, framework, video, rank)]
            posts.append(post)
    return Run(id=f"{created.date().isoformat()}-{vid}", created=created,
               video=Video(id=vid, url=f"https://www.youtube.com/watch?v={vid}", title=f"Demo video {week + 1}"),
               posts=posts, generator="demo")
