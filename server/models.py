"""The administrative truth: halls, floors, zones, departments, counters, service items, facilities, scenes.

Bilingual text is stored as ``<field>_zh`` / ``<field>_en`` column pairs. Structured values that are read
whole and never queried into (opening hours, process steps, fees, FAQ) are JSON columns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from .urls import UnsafeAddress, check_link, panorama_problem
from .vocabulary import (
    COUNTER_STATUSES,
    COUNTER_TYPES,
    FACILITY_TYPES,
    KIOSK_COUNTDOWN_DEFAULT,
    KIOSK_COUNTDOWN_RANGE,
    KIOSK_IDLE_DEFAULT,
    KIOSK_IDLE_RANGE,
    ROLES,
)


class Base(DeclarativeBase):
    """Declarative base; its metadata is what Alembic migrations are compared against."""


def _now() -> datetime:
    return datetime.now(UTC)


def _in_vocabulary(key: str, value: str, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


counter_services = Table(
    "counter_services",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True),
)

scene_links = Table(
    "scene_links",
    Base.metadata,
    Column("scene_id", ForeignKey("scenes.id", ondelete="CASCADE"), primary_key=True),
    Column("target_id", ForeignKey("scenes.id", ondelete="CASCADE"), primary_key=True),
    # The view a citizen gets on arriving through this link (degrees, as the scene's yaw/pitch), or None:
    # the view turns as it was. Written by ``publishing.halldata.apply``.
    Column("arrival_yaw", Float, nullable=True),
    Column("arrival_pitch", Float, nullable=True),
)


class OnFloor:
    """The columns of everything placed on a floor of a hall (zones, counters, facilities, scenes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    floor_id: Mapped[int] = mapped_column(ForeignKey("floors.id", ondelete="CASCADE"))


class Meta(Base):
    """Key/value facts about the data as a whole, e.g. the catalogue revision that caches key on."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Hall(Base):
    __tablename__ = "halls"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    short_name_zh: Mapped[str | None] = mapped_column(String(100))
    short_name_en: Mapped[str | None] = mapped_column(String(100))
    address_zh: Mapped[str] = mapped_column(String(300))
    address_en: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Local time of the hall (IANA name) and the calendar of holidays and adjusted working days it keeps
    # (catalogue/data/calendar/<calendar>-<year>.yaml); see catalogue.hours.
    time_zone: Mapped[str] = mapped_column(
        String(64), default="Asia/Shanghai", server_default="Asia/Shanghai"
    )
    calendar: Mapped[str] = mapped_column(String(32), default="cn", server_default="cn")
    # How to get there: {"bus": {zh, en}, "parking": {zh, en}, "metro": {zh, en}} (any of them), or None.
    access: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Named week schedules staff pick a counter's hours from: {"lunch": {"mon": [...], ...}, ...}, or None.
    hour_presets: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The published hall model: its file is <instance>/models/<slug>/<model_sha>.glb.
    model_sha: Mapped[str | None] = mapped_column(String(64))
    model_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    floors: Mapped[list[Floor]] = relationship(
        back_populates="hall", order_by="Floor.level", cascade="all, delete-orphan"
    )
    zones: Mapped[list[Zone]] = relationship(back_populates="hall", cascade="all, delete-orphan")
    counters: Mapped[list[Counter]] = relationship(
        back_populates="hall", order_by="Counter.number", cascade="all, delete-orphan"
    )
    facilities: Mapped[list[Facility]] = relationship(back_populates="hall", cascade="all, delete-orphan")
    scenes: Mapped[list[Scene]] = relationship(back_populates="hall", cascade="all, delete-orphan")
    kiosks: Mapped[list[Kiosk]] = relationship(
        back_populates="hall", order_by="Kiosk.code", cascade="all, delete-orphan", passive_deletes=True
    )


class Floor(Base):
    __tablename__ = "floors"
    __table_args__ = (UniqueConstraint("hall_id", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    elevation: Mapped[float] = mapped_column(Float)

    hall: Mapped[Hall] = relationship(back_populates="floors")


class Zone(OnFloor, Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    color: Mapped[str | None] = mapped_column(String(7))

    hall: Mapped[Hall] = relationship(back_populates="zones")
    floor: Mapped[Floor] = relationship()


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))


class Counter(OnFloor, Base):
    """A service window (窗口). ``node_name`` ties it to its node in the hall model."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(8))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="open")
    # What citizens are told while the counter is paused or closed, e.g. “系统升级，暂停至 14:00”.
    status_notice_zh: Mapped[str | None] = mapped_column(String(200))
    status_notice_en: Mapped[str | None] = mapped_column(String(400))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    phone: Mapped[str | None] = mapped_column(String(20))
    low_counter: Mapped[bool] = mapped_column(Boolean, default=False)
    node_name: Mapped[str] = mapped_column(String(100))

    hall: Mapped[Hall] = relationship(back_populates="counters")
    floor: Mapped[Floor] = relationship()
    zone: Mapped[Zone] = relationship()
    department: Mapped[Department | None] = relationship()
    services: Mapped[list[ServiceItem]] = relationship(
        secondary=counter_services, back_populates="counters", order_by="ServiceItem.id"
    )

    @validates("status", "type")
    def _check_vocabulary(self, key: str, value: str) -> str:
        """Refuse a status or counter type the vocabulary does not know."""
        return _in_vocabulary(key, value, COUNTER_STATUSES if key == "status" else COUNTER_TYPES)


class ServiceItem(Base):
    """A service item (事项) with its catalogue fields; the plain-language guide is kept in ServiceGuide."""

    __tablename__ = "service_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    audience: Mapped[list[str]] = mapped_column(JSON)
    item_type: Mapped[str] = mapped_column(String(20))
    legal_limit_days: Mapped[int | None] = mapped_column(Integer)
    promised_limit_days: Mapped[int] = mapped_column(Integer)
    # Bilingual pairs {zh, en}; en is None where a row is not yet translated (migration 0006).
    conditions: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)
    process: Mapped[list[dict[str, dict[str, str | None]]]] = mapped_column(JSON)
    fees: Mapped[dict[str, Any]] = mapped_column(JSON)
    online_pc_url: Mapped[str] = mapped_column(String(500))
    online_mobile_url: Mapped[str] = mapped_column(String(500))
    visits: Mapped[int] = mapped_column(Integer)
    appointment_supported: Mapped[bool] = mapped_column(Boolean, default=False)
    appointment_url: Mapped[str | None] = mapped_column(String(500))
    enquiry_phone: Mapped[str] = mapped_column(String(20))
    complaint_phone: Mapped[str] = mapped_column(String(20))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    reform_2023: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    department: Mapped[Department] = relationship()
    materials: Mapped[list[Material]] = relationship(
        back_populates="service", order_by="Material.position", cascade="all, delete-orphan"
    )
    guide: Mapped[ServiceGuide | None] = relationship(
        back_populates="service", cascade="all, delete-orphan", uselist=False
    )
    counters: Mapped[list[Counter]] = relationship(secondary=counter_services, back_populates="services")

    @validates("online_pc_url", "online_mobile_url", "appointment_url")
    def _check_link(self, key: str, value: str | None) -> str | None:
        """Refuse an address a page may not link to (server/urls.py): every writer, not only the demo loader."""
        return check_link(key, value, nullable=key == "appointment_url")


class Material(Base):
    """One required document (申请材料) of a service item."""

    __tablename__ = "materials"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))  # the catalogue's Chinese
    name_en: Mapped[str] = mapped_column(String(400))
    required: Mapped[bool] = mapped_column(Boolean)
    form: Mapped[str] = mapped_column(String(20))
    medium: Mapped[str] = mapped_column(String(20))
    copies: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    notes_en: Mapped[str | None] = mapped_column(Text)

    service: Mapped[ServiceItem] = relationship(back_populates="materials")


class ServiceGuide(Base):
    """The plain-language guide (白话): kept apart from the official catalogue text it explains."""

    __tablename__ = "service_guides"
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True
    )
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    faq: Mapped[list[dict[str, dict[str, str]]]] = mapped_column(JSON)

    service: Mapped[ServiceItem] = relationship(back_populates="guide")


class Facility(OnFloor, Base):
    __tablename__ = "facilities"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    code: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(30))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    node_name: Mapped[str] = mapped_column(String(100))

    hall: Mapped[Hall] = relationship(back_populates="facilities")
    floor: Mapped[Floor] = relationship()

    @validates("type")
    def _check_type(self, key: str, value: str) -> str:
        """Refuse a facility type the vocabulary does not know."""
        return _in_vocabulary(key, value, FACILITY_TYPES)


class Scene(OnFloor, Base):
    """A panorama point: where it was taken (model metres) and its heading (model bearing of the centre)."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    heading: Mapped[float] = mapped_column(Float)
    # The view the scene opens at (yaw/pitch in degrees), or None: straight along the heading.
    initial_yaw: Mapped[float | None] = mapped_column(Float)
    initial_pitch: Mapped[float | None] = mapped_column(Float)
    # The published panorama: its tiles config (Pannellum multires names plus ours), or None.
    panorama: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    hall: Mapped[Hall] = relationship(back_populates="scenes")
    floor: Mapped[Floor] = relationship()
    links: Mapped[list[Scene]] = relationship(
        secondary=scene_links,
        primaryjoin="Scene.id == scene_links.c.scene_id",
        secondaryjoin="Scene.id == scene_links.c.target_id",
        order_by="Scene.code",
    )
    overrides: Mapped[list[HotspotOverride]] = relationship(
        back_populates="scene", cascade="all, delete-orphan"
    )

    @validates("panorama")
    def _check_panorama(self, key: str, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Refuse a tiles config whose placeholder is not an inline image or whose base path is not ours."""
        problem = panorama_problem(value)
        if problem is not None:
            raise UnsafeAddress(key, (value or {}).get("placeholder", value), *problem)
        return value


class HotspotOverride(Base):
    """A staff correction of one hotspot in one scene; kept across recomputation of the hotspots."""

    __tablename__ = "hotspot_overrides"
    __table_args__ = (UniqueConstraint("scene_id", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(100))  # "counter:B03", "facility:toilet-1" or "scene:lobby"
    yaw: Mapped[float | None] = mapped_column(Float)
    pitch: Mapped[float | None] = mapped_column(Float)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    scene: Mapped[Scene] = relationship(back_populates="overrides")


# ---- Staff accounts (server/accounts): users, their sessions, and failed sign-ins ----


class UtcDateTime(TypeDecorator):
    """A moment stored in UTC and always read back aware (SQLite forgets the zone; comparisons need it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: staff account times must be aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


user_halls = Table(
    "user_halls",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("hall_id", ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A member of staff: a name, a password hash, a role (``vocabulary.ROLES``) and, for editors, halls."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now, onupdate=_now)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    halls: Mapped[list[Hall]] = relationship(secondary=user_halls, order_by="Hall.slug")
    sessions: Mapped[list[StaffSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("role")
    def _check_role(self, key: str, value: str) -> str:
        return _in_vocabulary(key, value, ROLES)


class StaffSession(Base):
    """A signed-in browser: only the SHA-256 of its cookie's token is kept, so a copy of the database
    cannot be used to sign in. Times are checked on every request (idle and absolute timeouts)."""

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    client_address: Mapped[str | None] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="sessions")


class LoginThrottle(Base):
    """Failed sign-ins counted per key (``user:<name>`` — typed names, existing or not — or
    ``address:<ip>``), and the moment until which that key is locked; shared by every server process."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


# ---- Kiosks (server/kiosks): the touch screens standing in a hall ----


class Kiosk(Base):
    """A touch screen in a hall: where it stands on the plan (model-space metres) and which way its screen
    faces (a bearing, ``conventions``), its idle and countdown times, audio, and what its last heartbeat
    said. Checked in full (floor area, ranges) by ``kiosks.registry``; the validators here are a backstop."""

    __tablename__ = "kiosks"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    floor_id: Mapped[int] = mapped_column(ForeignKey("floors.id", ondelete="CASCADE"))
    x: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    facing: Mapped[float] = mapped_column(Float)
    idle_seconds: Mapped[int] = mapped_column(Integer, default=KIOSK_IDLE_DEFAULT)
    countdown_seconds: Mapped[int] = mapped_column(Integer, default=KIOSK_COUNTDOWN_DEFAULT)
    audio: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now, onupdate=_now)
    # Filled by the kiosk's heartbeat: when, the version of the hall it shows, the errors it met.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_version: Mapped[str | None] = mapped_column(String(64))
    heartbeat_errors: Mapped[list[Any] | None] = mapped_column(JSON)  # the latest [{at, text}], bounded
    heartbeat_uptime: Mapped[int | None] = mapped_column(Integer)  # seconds since the page started

    hall: Mapped[Hall] = relationship(back_populates="kiosks")
    floor: Mapped[Floor] = relationship()

    @validates("facing")
    def _check_facing(self, key: str, value: float) -> float:
        if not 0 <= value < 360:
            raise ValueError(f"facing must be in [0, 360), not {value!r}")
        return value

    @validates("idle_seconds", "countdown_seconds")
    def _check_seconds(self, key: str, value: int) -> int:
        low, high = KIOSK_IDLE_RANGE if key == "idle_seconds" else KIOSK_COUNTDOWN_RANGE
        if not low <= value <= high:
            raise ValueError(f"{key} must be in [{low}, {high}], not {value!r}")
        return value


# ---- Drafts, published versions and the audit log (server/publishing/drafts.py, audit.py) ----


class Draft(Base):
    """The one draft of a scope (``hall:<slug>``, ``catalogue``): the whole snapshot being edited, and the
    published version it started from. Citizens never see it; publishing applies it."""

    __tablename__ = "drafts"
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PublishedVersion(Base):
    """One published version of a scope: its number, the snapshot published, who, when and why."""

    __tablename__ = "published_versions"
    __table_args__ = (UniqueConstraint("scope", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), index=True)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(32))  # None: recorded from the data as found
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    summary: Mapped[str] = mapped_column(String(500))
    restored_from: Mapped[int | None] = mapped_column(Integer)


class AuditEntry(Base):
    """One recorded change: when, who, where (scope), what (object type and id), the action, the object
    before and after (JSON, None where it did not exist) and a one-line summary."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    user_name: Mapped[str | None] = mapped_column(String(32), index=True)
    scope: Mapped[str | None] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    summary: Mapped[str] = mapped_column(String(500))


class Job(Base):
    """A piece of slow work done by a worker process (``server/jobs``): what (``kind``, hall, ``target``),
    where it stands (``state`` queued → running → done | failed, ``progress`` 0–1 in ``step``), the error it
    ended with (a ``HallError``'s ``{code, zh, en, status}``), who asked and when, and which worker holds it
    (``worker`` host:pid, ``heartbeat_at``; ``attempts`` counts the claims)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # the kind's input (file name, a new scene's fields)
    upload: Mapped[str | None] = mapped_column(String(200))  # the kept upload, relative to the uploads folder
    requested_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    hall: Mapped[Hall] = relationship()
