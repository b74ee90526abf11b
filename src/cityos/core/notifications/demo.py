"""The demo city's messages: templates in three languages, residents' preferences, and two
broadcasts, one already delivered (in every state) and one waiting for the workers."""
# ruff: noqa: RUF001 - Chinese texts use full-width punctuation

from __future__ import annotations

from cityos.core.accounts.models import Language, User
from cityos.core.notifications import services
from cityos.core.notifications.models import (
    Broadcast,
    Channel,
    ChannelPreference,
    Message,
    MessageState,
    MessageTemplate,
)
from cityos.core.notifications.selectors import Segment
from cityos.core.registry import DemoContext

EN, ZH, ES = Language.ENGLISH, Language.TRADITIONAL_CHINESE, Language.SPANISH

# key, channel ("" = any), language, subject, body
TEMPLATES = [
    (
        "welcome",
        "",
        EN,
        "Welcome, {{ person.first_name }}",
        "Hello {{ person.first_name }}, you will now get messages from the city about services in "
        "{{ person.district|default:'your district' }}. You can change how we reach you at any time under "
        "Message preferences.",
    ),
    (
        "welcome",
        "",
        ZH,
        "歡迎，{{ person.first_name }}",
        "{{ person.first_name }}您好，今後您會收到市政府關於{{ person.district|default:'您所在地區' }}各項服務的訊息。"
        "您可隨時在「訊息偏好」中更改聯絡方式。",
    ),
    (
        "welcome",
        "",
        ES,
        "Te damos la bienvenida, {{ person.first_name }}",
        "Hola, {{ person.first_name }}. A partir de ahora recibirás mensajes de la ciudad sobre los servicios de "
        "{{ person.district|default:'tu distrito' }}. Puedes cambiar cómo te contactamos en cualquier momento en "
        "Preferencias de mensajes.",
    ),
    (
        "service_update",
        "",
        EN,
        "Water off in {{ person.district }} on {{ date }}",
        "Hello {{ person.first_name }}, the water supply in {{ person.district }} will be off on {{ date }} from "
        "{{ start }} to {{ end }} for pipe repairs. Drinking water is available at the city service centres.",
    ),
    (
        "service_update",
        "",
        ZH,
        "{{ date }} {{ person.district }}停水通知",
        "{{ person.first_name }}您好，{{ person.district }}將於{{ date }} {{ start }}至{{ end }}因水管維修停水。"
        "市政服務中心備有飲用水。",
    ),
    (
        "service_update",
        "",
        ES,
        "Corte de agua en {{ person.district }} el {{ date }}",
        "Hola, {{ person.first_name }}. El suministro de agua en {{ person.district }} se cortará el {{ date }} de "
        "{{ start }} a {{ end }} por reparaciones. Hay agua potable en los centros de servicio de la ciudad.",
    ),
    (
        "service_update",
        Channel.SMS,
        EN,
        "",
        "Water off in {{ person.district }} on {{ date }}, {{ start }}-{{ end }}, for repairs. Reply STOP to opt out.",
    ),
    (
        "service_update",
        Channel.SMS,
        ZH,
        "",
        "{{ person.district }}於{{ date }} {{ start }}-{{ end }}停水維修。回覆STOP停止接收。",
    ),
    (
        "service_update",
        Channel.SMS,
        ES,
        "",
        "Corte de agua en {{ person.district }} el {{ date }}, {{ start }}-{{ end }}. "
        "Responde STOP para no recibir más.",
    ),
    ("notice", "", EN, "A message from the city", "Hello {{ person.first_name }}, {{ details }}"),
    ("notice", "", ZH, "市政府通知", "{{ person.first_name }}您好：{{ details }}"),
    ("notice", "", ES, "Un mensaje de la ciudad", "Hola, {{ person.first_name }}. {{ details }}"),
]


def _templates() -> int:
    created = 0
    for key, channel, language, subject, body in TEMPLATES:
        _template, made = MessageTemplate.objects.get_or_create(
            key=key, channel=channel, language=language, defaults={"subject": subject, "body": body}
        )
        created += made
    return created


def _preferences(ctx: DemoContext, voice_district: int | None) -> int:
    """Most residents keep the default (email, then SMS); some prefer their phone, a few opt out.
    The few voice calls (speech synthesis takes a moment) are in the first broadcast's district."""
    if ChannelPreference.objects.exists():
        return 0
    voice_left = 3
    saved = 0
    for person in User.objects.residents().order_by("pk"):
        roll = ctx.rng.random()
        channels: list[str] | None = None
        opted_out = False
        if roll < 0.08:
            opted_out, channels = True, []
        elif roll < 0.25 and person.phone:
            channels = [Channel.SMS, Channel.EMAIL] if person.email else [Channel.SMS]
        elif roll < 0.32 and person.phone:
            channels = [Channel.WHATSAPP, Channel.SMS]
        elif roll < 0.45 and person.phone and voice_left and person.district_id == voice_district:
            channels, voice_left = [Channel.VOICE, Channel.SMS], voice_left - 1
        if channels is None:
            continue
        ChannelPreference.objects.create(user=person, channels=[str(c) for c in channels], opted_out=opted_out)
        saved += 1
    return saved


def _deliver_now(ctx: DemoContext, broadcast: Broadcast) -> None:
    """Deliver the first broadcast through the real transports (the outbox without gateways), then
    play the gateways' receipts: most delivered, a few numbers unreachable."""
    for message_id in broadcast.messages.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        services.deliver(message_id)
    for message in Message.objects.filter(broadcast=broadcast, state=MessageState.SENT).order_by("pk"):
        roll = ctx.rng.random()
        if roll < 0.12:
            error = "Mailbox full (demo bounce)" if message.channel == Channel.EMAIL else "Handset unreachable (demo)"
            services.record_delivery_report(message.provider_message_id, MessageState.FAILED, error)
        elif roll < 0.8:
            services.record_delivery_report(message.provider_message_id, MessageState.DELIVERED)


def build(ctx: DemoContext) -> None:
    district_ids: list[int] = ctx.data.get("district_ids", [])
    made = _templates()
    saved = _preferences(ctx, district_ids[0] if district_ids else None)
    if Broadcast.objects.exists():
        ctx.say(f"messages: {made} templates, {saved} preferences; broadcasts already sent")
        return
    sender = User.objects.filter(username="operator").first()
    first = services.send_to_segment(
        Segment(district_ids=tuple(district_ids[:1])),
        "service_update",
        {"date": "2026-03-14", "start": "09:00", "end": "15:00"},
        sent_by=sender,
    )
    _deliver_now(ctx, first)
    # The second waits in the queue: `cityos serve --jobs` (or a worker) delivers it.
    second = services.send_to_segment(
        Segment(district_ids=tuple(district_ids[1:2])),
        "welcome",
        {},
        sent_by=sender,
    )
    ctx.say(
        f"messages: {made} templates, {saved} preferences, broadcasts #{first.pk} "
        f"({first.recipient_count} people) and #{second.pk} ({second.recipient_count} people, queued)"
    )
