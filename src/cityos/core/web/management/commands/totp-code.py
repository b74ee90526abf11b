"""`cityos totp-code <username>`: the current second-factor code of a demo staff account."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff account (for the demo; needs shell access)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        device = TOTPDevice.objects.filter(user__username=options["username"], confirmed=True).first()
        if device is None:
            raise CommandError(f"{options['username']} has no confirmed authenticator.")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
