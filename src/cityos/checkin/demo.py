"""The demo city's venues with posters, three weeks of check-ins, and one exposure alert sent."""
# ruff: noqa: RUF001 - Chinese texts use full-width punctuation

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cityos.checkin import services
from cityos.checkin.models import CheckIn, CheckInSource, ExposureAlert, Venue, VenueKind
from cityos.core.accounts.models import Language, User
from cityos.core.notifications import services as notifications
from cityos.core.registry import DemoContext

EN, ZH, ES = Language.ENGLISH, Language.TRADITIONAL_CHINESE, Language.SPANISH

# key, channel ("" = any), language, subject, body. SMS variants are short: accented Spanish and
# Chinese go as UCS-2 (67 characters a part) and an SMS may have at most 4 parts.
TEMPLATES = [
    (
        services.TEMPLATE_EXPOSED,
        "",
        EN,
        "Possible exposure at {{ venue }}",
        "You checked in at {{ venue }} on {{ date }} when someone with an infectious disease was there "
        "({{ start }}-{{ end }}). Watch for symptoms for 14 days, get tested if you feel ill, and avoid "
        "visiting vulnerable people. Questions: call the city health line.",
    ),
    (
        services.TEMPLATE_EXPOSED,
        "",
        ZH,
        "{{ venue }}可能有暴露風險",
        "您於{{ date }}在{{ venue }}登記時，有傳染病患者在場（{{ start }}-{{ end }}）。"
        "請自主觀察症狀14天，如有不適請就醫檢測，並避免探視高風險族群。如有疑問請撥打市府衛生專線。",
    ),
    (
        services.TEMPLATE_EXPOSED,
        "",
        ES,
        "Posible exposición en {{ venue }}",
        "Te registraste en {{ venue }} el {{ date }} cuando había allí una persona con una enfermedad "
        "infecciosa ({{ start }}-{{ end }}). Vigila tus síntomas durante 14 días, hazte una prueba si te "
        "sientes mal y evita visitar a personas vulnerables. Dudas: llama a la línea de salud de la ciudad.",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "",
        EN,
        "An exposure at {{ venue }}",
        "Someone with an infectious disease visited {{ venue }} on {{ date }}, {{ start }}-{{ end }}. "
        "Visitors who checked in have been told. Clean shared surfaces and air the rooms; staff who were "
        "there should watch for symptoms.",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "",
        ZH,
        "{{ venue }}出現暴露事件",
        "{{ date }} {{ start }}-{{ end }}有傳染病患者到訪{{ venue }}。已通知登記的訪客。"
        "請清潔公共接觸面並保持通風，當時在場的員工請留意症狀。",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "",
        ES,
        "Una exposición en {{ venue }}",
        "Una persona con una enfermedad infecciosa visitó {{ venue }} el {{ date }}, {{ start }}-{{ end }}. "
        "Ya avisamos a quienes se registraron. Limpia las superficies compartidas y ventila; el personal "
        "presente debe vigilar sus síntomas.",
    ),
    (
        services.TEMPLATE_EXPOSED,
        "sms",
        EN,
        "",
        "City health: someone with an infectious disease was at {{ venue }} on {{ date }} {{ start }}-{{ end }} "
        "while you were checked in. Watch for symptoms for 14 days and get tested if you feel ill.",
    ),
    (
        services.TEMPLATE_EXPOSED,
        "sms",
        ZH,
        "",
        "市府衛生：{{ date }} {{ start }}-{{ end }}您在{{ venue }}時有傳染病患者在場。"
        "請自主觀察症狀14天，如有不適請就醫檢測。",
    ),
    (
        services.TEMPLATE_EXPOSED,
        "sms",
        ES,
        "",
        "Salud municipal: el {{ date }} {{ start }}-{{ end }} había una persona con una enfermedad infecciosa en "
        "{{ venue }} mientras estabas allí. Vigila tus síntomas 14 días y hazte una prueba si te sientes mal.",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "sms",
        EN,
        "",
        "City health: someone with an infectious disease visited {{ venue }} on {{ date }} {{ start }}-{{ end }}. "
        "Visitors were told. Clean shared surfaces and air the rooms.",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "sms",
        ZH,
        "",
        "市府衛生：{{ date }} {{ start }}-{{ end }}有傳染病患者到訪{{ venue }}，已通知訪客。請清潔並保持通風。",
    ),
    (
        services.TEMPLATE_VENUE_OWNER,
        "sms",
        ES,
        "",
        "Salud municipal: una persona con una enfermedad infecciosa visitó {{ venue }} el {{ date }} "
        "{{ start }}-{{ end }}. Avisamos a los visitantes. Limpia y ventila.",
    ),
]

VENUES = [
    ("Harbour Market", VenueKind.SHOP),
    ("Central Library", VenueKind.PUBLIC_BUILDING),
    ("City Hall Service Centre", VenueKind.PUBLIC_BUILDING),
    ("Lotus Tea House", VenueKind.FOOD),
    ("Café Sol", VenueKind.FOOD),
    ("North Station", VenueKind.TRANSPORT),
    ("Riverside Gym", VenueKind.OTHER),
    ("Golden Dragon Restaurant", VenueKind.FOOD),
    ("Plaza Pharmacy", VenueKind.SHOP),
    ("Tech Park Tower B", VenueKind.WORKPLACE),
    ("Community Centre West", VenueKind.PUBLIC_BUILDING),
    ("Night Market Food Court", VenueKind.FOOD),
    ("Panadería La Esquina", VenueKind.FOOD),
    ("Seaside Cinema", VenueKind.OTHER),
    ("Ferry Terminal", VenueKind.TRANSPORT),
    ("Bookworm Books", VenueKind.SHOP),
]
CASE_REF = "DEMO-CASE-0001"


def install_templates() -> int:
    """The alert texts (also used by the tests); existing templates are left as the city edited them."""
    return notifications.install_templates(TEMPLATES)


def _venues(ctx: DemoContext, residents: list[User], registrar: User | None) -> list[Venue]:
    district_ids: list[int] = ctx.data.get("district_ids", [])
    made: list[Venue] = []
    for index, (name, kind) in enumerate(VENUES):
        existing = Venue.objects.filter(name=name).first()
        if existing:
            made.append(existing)
            continue
        owner = residents[index] if index % 3 == 0 and index < len(residents) else None
        venue = services.register_venue(
            owner or registrar or residents[index],
            name=name,
            kind=kind,
            address=f"{10 + index * 7} {['Harbour', 'Main', 'River', 'Park'][index % 4]} Street",
            contact_email="" if owner else f"venue{index}@demo.cityos.invalid",
            district_id=ctx.rng.choice(district_ids) if district_ids else None,
        )
        made.append(venue)
    return made


def _check_ins(ctx: DemoContext, venues: list[Venue], residents: list[User]) -> int:
    """About 3,000 visits over the last three weeks: mostly residents, a third anonymous."""
    if CheckIn.objects.exists():
        return 0
    now = timezone.now()
    rows: list[CheckIn] = []
    for _visit in range(3000):
        venue = ctx.rng.choice(venues)
        at = now - timedelta(days=ctx.rng.uniform(0, 19.5))
        at = at.replace(hour=ctx.rng.randint(8, 21))
        if at > now:
            at -= timedelta(days=1)
        stay = timedelta(minutes=ctx.rng.randint(10, 120))
        out = at + stay if ctx.rng.random() < 0.4 and at + stay < now else None
        if ctx.rng.random() < 0.33:
            number = f"+1415556{ctx.rng.randint(0, 9999):04d}"
            rows.append(
                CheckIn(
                    venue=venue,
                    contact_encrypted=services.encrypt_contact(number),
                    contact_channel="sms",
                    contact_digest=services.contact_digest(number),
                    language=ctx.rng.choice([EN, EN, ZH, ES]),
                    source=ctx.rng.choice([CheckInSource.WEB, CheckInSource.WEB, CheckInSource.SMS]),
                    checked_in_at=at,
                    checked_out_at=out,
                )
            )
        else:
            person = ctx.rng.choice(residents)
            rows.append(
                CheckIn(venue=venue, person=person, language=person.language, checked_in_at=at, checked_out_at=out)
            )
    CheckIn.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _sent_alert(venues: list[Venue], officer: User | None) -> ExposureAlert | None:
    if officer is None or ExposureAlert.objects.filter(case_ref=CASE_REF).exists():
        return None
    venue = venues[3]  # the tea house
    busiest = CheckIn.objects.filter(venue=venue).order_by("-checked_in_at").first()
    if busiest is None:
        return None
    start = busiest.checked_in_at - timedelta(minutes=20)
    visit = {
        "venue_code": venue.short_code,
        "start": start.isoformat(),
        "end": min(start + timedelta(hours=1), timezone.now()).isoformat(),  # a case's visit is over
    }
    (alert,) = services.propose_exposure_alert(CASE_REF, [visit], proposed_by=officer)
    return services.send_exposure_alert(alert, officer)


def build(ctx: DemoContext) -> None:
    templates = install_templates()
    residents = list(User.objects.residents().filter(is_active=True).order_by("pk")[:400])
    if not residents:
        ctx.say("check-in: no residents, skipped")
        return
    registrar = User.objects.filter(username="operator").first()
    officer = User.objects.filter(username="health").first()
    venues = _venues(ctx, residents, registrar)
    visits = _check_ins(ctx, venues, residents)
    alert = _sent_alert(venues, officer)
    told = alert.matches.filter(notified_at__isnull=False).count() if alert else 0
    ctx.say(
        f"check-in: {templates} templates, {len(venues)} venues, {visits} check-ins, "
        f"{'one alert sent to ' + str(told) + ' people' if alert else 'alert already sent'}"
    )
