"""People of the demo city: staff of every role and a few hundred residents."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts import services
from cityos.core.accounts.models import Department, Language, Role, User
from cityos.core.registry import DemoContext

DEMO_PASSWORD = "cityos-demo-2026"  # noqa: S105 - printed by `cityos demo`; demo data only

DEPARTMENTS = [  # code, name, translated names
    ("operations", "City Operations", {"zh-hant": "城市營運處", "es": "Operaciones Municipales"}),
    ("health", "Public Health", {"zh-hant": "公共衛生處", "es": "Salud Pública"}),
    ("social", "Social Services", {"zh-hant": "社會服務處", "es": "Servicios Sociales"}),
    ("service-desk", "Resident Services", {"zh-hant": "市民服務處", "es": "Atención Ciudadana"}),
    ("data", "Open Data Office", {"zh-hant": "開放資料辦公室", "es": "Oficina de Datos Abiertos"}),
    ("it", "Digital Services", {"zh-hant": "數位服務處", "es": "Servicios Digitales"}),
]

STAFF = [  # username, first, last, role, department code
    ("operator", "Olivia", "Ortega", Role.OPERATOR, "operations"),
    ("health", "Hao", "Lin", Role.HEALTH_OFFICER, "health"),
    ("caseworker", "Camila", "Reyes", Role.CASEWORKER, "social"),
    ("agent", "Sam", "Okafor", Role.SERVICE_AGENT, "service-desk"),
    ("publisher", "Priya", "Natarajan", Role.DATA_PUBLISHER, "data"),
    ("admin", "Ada", "Moreno", Role.ADMINISTRATOR, "it"),
]

FIRST = {
    "en": ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Karen", "Daniel", "Emily", "Grace", "Tom"],
    "zh-hant": ["志明", "春嬌", "家豪", "淑芬", "冠宇", "怡君", "俊傑", "雅婷", "建宏", "美玲"],
    "es": ["José", "María", "Luis", "Carmen", "Jorge", "Ana", "Carlos", "Lucía", "Miguel", "Sofía"],
}
LAST = {
    "en": ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Clark", "Walker", "Hall", "Young"],
    "zh-hant": ["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊"],
    "es": ["García", "Rodríguez", "Martínez", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores"],
}


def demo_totp_key(username: str) -> bytes:
    """Same secret every build, so printed demo secrets stay valid."""
    return hashlib.sha256(f"cityos-demo-totp:{username}".encode()).digest()[:20]


def build(ctx: DemoContext) -> None:
    departments = {
        code: Department.objects.get_or_create(code=code, defaults={"name": name, "names": names})[0]
        for code, name, names in DEPARTMENTS
    }
    district_ids: list[int] = ctx.data.get("district_ids", [])
    for username, first, last, role, dept in STAFF:
        if User.objects.filter(username=username).exists():
            continue
        user = services.create_staff(
            username=username,
            password=DEMO_PASSWORD,
            email=f"{username}@demo.cityos.invalid",
            first_name=first,
            last_name=last,
            roles=[(role, departments[dept], [])],
        )
        key = demo_totp_key(username)
        TOTPDevice.objects.create(user=user, name="demo authenticator", key=key.hex(), confirmed=True)
        ctx.logins.append(
            (username, DEMO_PASSWORD, f"staff · {role.label} · TOTP key {base64.b32encode(key).decode()}")
        )
    # One operator scoped to a single district, to show scoping.
    if district_ids and not User.objects.filter(username="operator-north").exists():
        user = services.create_staff(
            username="operator-north",
            password=DEMO_PASSWORD,
            email="operator-north@demo.cityos.invalid",
            first_name="Noah",
            last_name="Berg",
            roles=[(Role.OPERATOR, departments["operations"], district_ids[:1])],
        )
        key = demo_totp_key(user.username)
        TOTPDevice.objects.create(user=user, name="demo authenticator", key=key.hex(), confirmed=True)

    languages = [Language.ENGLISH] * 6 + [Language.TRADITIONAL_CHINESE] * 2 + [Language.SPANISH] * 2
    created = 0
    residents_wanted = int(ctx.data.get("residents", 300))
    existing = User.objects.residents().count()
    for index in range(existing, residents_wanted):
        language = ctx.rng.choice(languages)
        first = ctx.rng.choice(FIRST[language])
        last = ctx.rng.choice(LAST[language])
        has_phone = ctx.rng.random() < 0.7
        user = User(
            username=f"resident-{index:05d}",
            first_name=first,
            last_name=last,
            language=language,
            email=f"resident{index:05d}@demo.cityos.invalid" if (not has_phone or ctx.rng.random() < 0.6) else None,
            phone=f"+1415555{index:04d}" if has_phone else None,
            district_id=ctx.rng.choice(district_ids) if district_ids else None,
        )
        user.set_unusable_password()
        # Sign-ups spread over the last two years, as in a city that has run the portal a while.
        user.date_joined = timezone.now() - timedelta(days=ctx.rng.randint(1, 730), minutes=ctx.rng.randint(0, 1439))
        user.save()
        created += 1
    if not User.objects.filter(email="resident@demo.cityos.invalid").exists():
        demo_resident = services.sign_up_resident(
            password=DEMO_PASSWORD,
            email="resident@demo.cityos.invalid",
            first_name="Rosa",
            last_name="Diaz",
            language=Language.SPANISH,
            district_id=district_ids[0] if district_ids else None,
        )
        demo_resident.username = "resident-demo"  # sign-up names accounts at random; the demo stays stable
        demo_resident.save(update_fields=["username"])
        ctx.logins.insert(0, ("resident@demo.cityos.invalid", DEMO_PASSWORD, "resident"))
    ctx.say(f"people: {created} residents, {len(STAFF) + 1} staff")
