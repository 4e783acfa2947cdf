"""Summaries received from other systems, and SMART Health Links given to people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhis.crypto import EncryptedTextField


class ReceivedSummary(models.Model):
    """An International Patient Summary another system produced, read into a person's
    record. The document is kept as received (encrypted: it may carry identifiers); its
    entries are kept apart from MHIS's own records and always shown with their source."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=200)
    bundle_identifier = models.CharField(_("bundle identifier"), max_length=200, blank=True)
    composed_at = models.CharField(_("composed at"), max_length=40, blank=True)
    digest = models.CharField(max_length=64)  # SHA-256 of the received bytes
    # Keyed hashes (never the values) by which the document is known again: its
    # Bundle.identifier, and the patient's identifiers from other systems (space-separated,
    # " k1 k2 ", so that one is found by `contains`). See ADR 0024.
    document_key = models.CharField(max_length=64, blank=True, db_index=True)
    patient_keys = models.TextField(blank=True, default="")
    document = EncryptedTextField(_("document"))
    # The sections in the sender's order: {"code": LOINC, "title", "narrative": sanitised XHTML}
    sections = models.JSONField(default=list)
    skipped = models.JSONField(default=list)  # what could not be read, in words
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("received summary")
        verbose_name_plural = _("received summaries")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "digest"], name="receivedsummary_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.composed_at[:10] or f'{self.received_at:%Y-%m-%d}'})"


class ReceivedItem(models.Model):
    """One entry of a received summary: the FHIR resource with its references to the
    patient marked and the others replaced by what they named."""

    summary = models.ForeignKey(ReceivedSummary, on_delete=models.CASCADE, related_name="items")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=20)  # the section's LOINC code
    resource_type = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    date = models.CharField(max_length=40, blank=True)
    resource = models.JSONField()

    class Meta:
        ordering = ["summary", "pk"]
        indexes = [models.Index(fields=["person", "section"], name="receiveditem_person")]

    def __str__(self) -> str:
        return self.text


class SharedLink(models.Model):
    """A SMART Health Link: the person's summary, encrypted with a key only the link
    carries, served by a manifest until it expires, is revoked (by a user, or because the
    person withdrew their consent to sharing) or is locked by wrong passcodes."""

    class Revocation(models.TextChoices):
        BY_USER = "user", _("Revoked by a user")
        CONSENT = "consent", _("The person withdrew their consent to sharing")

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    manifest_id = models.CharField(max_length=64, unique=True)  # 256 random bits
    key = EncryptedTextField()  # base64url of the 32-byte key
    label = models.CharField(_("label"), max_length=80, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    passcode = models.CharField(max_length=200, blank=True)  # a password hash, if one was set
    attempts_left = models.PositiveSmallIntegerField(default=0)
    payload = models.TextField()  # the JWE compact serialisation of the summary
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_reason = models.CharField(
        _("reason for revocation"), max_length=10, choices=Revocation.choices, blank=True
    )

    class Meta:
        verbose_name = _("SMART Health Link")
        verbose_name_plural = _("SMART Health Links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.label or self.manifest_id[:8]

    @property
    def locked(self) -> bool:
        return bool(self.passcode) and self.attempts_left == 0

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.locked and self.expires_at > timezone.now()


class LinkAccess(models.Model):
    """One request to a link's manifest: who said they were, and what they got."""

    class Outcome(models.TextChoices):
        SERVED = "served", _("Served")
        WRONG_PASSCODE = "passcode", _("Wrong passcode")
        REFUSED = "refused", _("Refused: expired, revoked or locked")
        THROTTLED = "throttled", _("Refused: too many wrong passcodes from its address")

    link = models.ForeignKey(SharedLink, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField(auto_now_add=True)
    recipient = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # A keyed hash of the address the request came from (never the address itself): wrong
    # passcodes are counted by it (`MHIS_SHL_ADDRESS_LIMIT`).
    address = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["address", "at"], name="linkaccess_address_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.outcome}"
