from __future__ import annotations

from django.contrib import admin

from cityos.core.notifications.models import Broadcast, ChannelPreference, Message, MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "language", "channel", "subject", "updated_at")
    list_filter = ("key", "language", "channel")
    search_fields = ("key", "subject", "body")


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ("id", "template_key", "recipient_count", "suppressed_count", "created_by", "created_at")
    readonly_fields = [f.name for f in Broadcast._meta.fields]

    def has_add_permission(self, request: object) -> bool:  # sent from the compose page or the API
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    # Addresses and texts are left out: staff read them on the audited message list.
    list_display = ("id", "channel", "language", "template_key", "state", "attempts", "created_at")
    list_filter = ("state", "channel", "language")
    fields = (
        "channel",
        "language",
        "template_key",
        "state",
        "suppressed_reason",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_message_id",
        "broadcast",
        "created_at",
        "sent_at",
        "delivered_at",
        "failed_at",
        "redacted_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "channels", "opted_out", "updated_at")
    list_filter = ("opted_out",)
    raw_id_fields = ("user",)
