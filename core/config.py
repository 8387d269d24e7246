"""postgen.toml: what to read, how to write, where to post and when. Never a secret.

A bad file gets a ConfigError naming the file, the key and what is allowed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .models import PLATFORMS
from .slots import parse_slot

DEFAULT_FILE = "postgen.toml"
SECRET_HINTS = ("key", "secret", "token", "password")


class ConfigError(Exception):
    """postgen.toml is missing, malformed, or has a key/value that is not allowed."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SelectionConfig(_Section):
    policy: Literal["queue", "newest", "most-viewed"] = "queue"
    max_age_days: int | None = Field(default=None, ge=1)
    require_transcript: bool = False
    transcript_languages: list[str] = Field(default_factory=lambda: ["en"])


class GeneratorConfig(_Section):
    name: str = "auto"  # "auto": openai when OPENAI_API_KEY is set, else offline
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.7, ge=0, le=2)
    base_url: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    concurrency: int = Field(default=16, ge=1, le=64)  # 16: brief + 15 drafts in two dependent rounds
    repair_rounds: int = Field(default=2, ge=0, le=10)
    # USD per million tokens, by model: {"gpt-4o-mini" = {input = 0.15, cached = 0.075, output = 0.6}}
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    # "fixed": frameworks take slots in [schedule] framework_order. "adaptive": learn from the
    # engagement readings (postgen metrics) which framework gets the best slots per platform, and
    # show the best past posts as style examples in the prompt (docs/metrics.md).
    frameworks: Literal["fixed", "adaptive"] = "fixed"
    examples_tokens: int = Field(default=800, ge=0, le=8000)  # adaptive: style-example budget in the prompt


class ScheduleConfig(_Section):
    timezone: str = "UTC"
    # Per platform: "HH:MM" daily, or "mon HH:MM" weekly.
    slots: dict[str, list[str]] = Field(
        default_factory=lambda: {"linkedin": ["08:30"], "x": ["09:00", "17:00"], "reddit": ["tue 15:00", "fri 15:00"]}
    )
    framework_order: list[str] = Field(default_factory=list)  # empty: the run's order

    @field_validator("slots")
    @classmethod
    def _slots_parse(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for texts in value.values():
            for text in texts:
                parse_slot(text)  # ValueError names the slot and the allowed forms
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; use an IANA name like 'Europe/Paris' or 'UTC'") from None
        return value


class PublishConfig(_Section):
    require_approval: bool = False
    max_wait_seconds: int = Field(default=60, ge=0)  # longest 429 wait before deferring
    max_attempts: int = Field(default=3, ge=1)  # 5xx/timeout back-off attempts per call
    pending_threshold: int = Field(default=5, ge=0)  # CI: generate a new run below this many
    # --due: a post more than this late is moved to the next free slot instead of sent (3 hours:
    # an hourly job that GitHub starts late, or misses twice, still posts on time; a post never
    # lands in the next slot's window).
    max_lateness_minutes: int = Field(default=180, ge=0)
    # Estimated platform spend (X pay-per-use) per day, in USD; what would go over waits. None: no cap.
    max_cost_usd_per_day: float | None = Field(default=None, ge=0)
    # Where a platform's listing lags behind a post (Reddit), a lookup that finds nothing after an
    # unknown outcome is repeated at least this long after the attempt before anything is resent.
    listing_lag_minutes: int = Field(default=10, ge=0)
    link_to_moment: bool = True  # each post's link opens the video where its main point is said
    # Domains a post may link to besides the video's own URL ("example.com" also allows its
    # subdomains). Any other URL in a post is an error that blocks publishing.
    allowed_link_domains: list[str] = Field(default_factory=list)
    # Claims (numbers, names, results) the video does not make: errors instead of warnings.
    # The environment variable POSTGEN_STRICT_CLAIMS=1 turns this on too (the CI workflow sets it).
    strict_claims: bool = False
    # At most this many posts of a run per platform get a slot (the rest stay unscheduled: --due
    # never sends them). With [generator] frameworks = "adaptive" the policy picks which.
    max_posts_per_platform: int | None = Field(default=None, ge=1)

    @field_validator("allowed_link_domains")
    @classmethod
    def _bare_domains(cls, value: list[str]) -> list[str]:
        out = []
        for entry in value:
            domain = entry.strip().lower().rstrip(".")
            domain = domain[2:] if domain.startswith("*.") else domain
            if not re.fullmatch(r"[^\s/:@?#]+\.[^\s/:@?#.]+", domain):
                raise ValueError(f"{entry!r} is not a domain: write it like \"example.com\" (no scheme, no path)")
            out.append(domain)
        return out


class MetricsConfig(_Section):
    # Ages at which `postgen metrics` reads a published post's engagement: "90m", "24h", "7d", "2w".
    ages: list[str] = Field(default_factory=lambda: ["24h", "72h", "7d"], min_length=1)

    @field_validator("ages")
    @classmethod
    def _ages_parse(cls, value: list[str]) -> list[str]:
        from .metrics import parse_age

        ages = [parse_age(text) for text in value]  # ValueError names the age and the allowed forms
        if ages != sorted(set(ages)):
            raise ValueError("ages must be different and in increasing order, e.g. [\"24h\", \"72h\", \"7d\"]")
        return value


class PlatformsConfig(_Section):
    model_config = ConfigDict(extra="allow")  # [platforms.<name>] sections, validated by connectors
    enabled: list[str] = Field(default_factory=lambda: list(PLATFORMS))

    @model_validator(mode="after")
    def _sections_are_tables(self) -> PlatformsConfig:
        for name, value in (self.model_extra or {}).items():
            if not isinstance(value, dict):
                raise ValueError(f"'platforms.{name}' must be a table of options ([platforms.{name}] with keys "
                                 f"such as link_policy), not {value!r}")
        return self

    def options(self, name: str) -> dict[str, Any]:
        extra = self.model_extra or {}
        value = extra.get(name, {})
        return dict(value) if isinstance(value, dict) else {}


class Config(_Section):
    """The whole of postgen.toml. `path` is where it came from (None for built-in defaults)."""

    # The packaged sample: with no postgen.toml, `postgen run --dry-run` works offline.
    sources: list[dict[str, Any]] = Field(default_factory=lambda: [{"type": "local", "path": "builtin:sample"}])
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    frameworks: list[str] = Field(default_factory=list)  # empty: every registered framework
    frameworks_dir: str | None = None
    runs_dir: str = "runs"
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    publish: PublishConfig = Field(default_factory=PublishConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("sources")
    @classmethod
    def _sources_have_type(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, spec in enumerate(value):
            if "type" not in spec:
                raise ValueError(f"sources[{i}] needs a 'type' (e.g. \"youtube\", \"channel\", \"queue\", \"local\")")
        return value

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config are relative to the config file's folder."""
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def runs_path(self) -> Path:
        return self.resolve(self.runs_dir)


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _secret_key(key: str) -> bool:
    """A key that names a secret: one of its words ends in a hint (api_key, apikey, bearer_token),
    so `keywords` or `monkey_patch` are not taken for one."""
    return any(word.endswith(SECRET_HINTS) for word in re.split(r"[^a-z0-9]+", key.lower()))


def _looks_secret(key: str, value: Any) -> bool:
    """A value shaped like a key (under any key: `model = "sk-proj-…"`), or any value under a key
    that names a secret."""
    from .redact import looks_like_key

    if isinstance(value, str) and looks_like_key(value):
        return True
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "" or not _secret_key(key):
        return False
    if key.lower().endswith(("_env", "_var")):  # names an env var: fine unless it is not a name
        return not (isinstance(value, str) and ENV_NAME.match(value))
    return True


def _find_secret(data: Any, trail: str = "") -> str | None:
    """Return the dotted key of anything that looks like a secret value in the config."""
    if isinstance(data, dict):
        items = [(f"{trail}.{key}" if trail else str(key), str(key), value) for key, value in data.items()]
    elif isinstance(data, list):
        items = [(f"{trail}[{i}]", "", value) for i, value in enumerate(data)]
    else:
        return None
    for where, key, value in items:
        if _looks_secret(key, value) or _looks_secret("", key):
            return where
        found = _find_secret(value, where)
        if found:
            return found
    return None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a section accepts, for the section that holds the key at `loc`."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part)) if isinstance(part, str) else None
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [name for name in model.model_fields if name != "path"]


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = allowed_keys(Config, tuple(error["loc"]))
        return f"unknown key '{key}'" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        return f"'{key}' must be one of {allowed} (got {error.get('input')!r})"
    return f"'{key}': {error['msg']} (got {error.get('input')!r})"


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "built-in defaults"
    secret = _find_secret(data)
    if secret:
        raise ConfigError(
            f"{where}: '{secret}' looks like a secret (a key, token or password). Secrets come only from "
            "environment variables (see README, 'Keys'); remove it from the file."
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from None
    config.path = path.resolve() if path else None
    return config


def load_config(path: str | Path | None = None) -> Config:
    """Load postgen.toml from `path`, or the working directory; built-in defaults if neither exists."""
    explicit = path is not None
    file = Path(path) if explicit else Path.cwd() / DEFAULT_FILE
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: no such config file ('postgen --config {file} init' writes a commented one)")
        return parse_config({})
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text: {exc}") from None
    except OSError as exc:  # a folder, no permission...
        raise ConfigError(f"{file}: cannot read it: {exc.strerror or exc}") from None
    return parse_config(data, file)
