"""Pages of the portable record: the summary as a file or a print, received summaries,
SMART Health Links, and the public manifest and viewer of those links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mhis.access.addresses import client_address
from mhis.access.policy import Can, allowed
from mhis.access.services import scope_sites
from mhis.contracts import form_errors
from mhis.qrcodes import qr_svg
from mhis.registry.shortcuts import person_or_404

from . import display, ips
from . import links as shl
from .forms import ImportForm, LinkForm, ViewerForm
from .models import SharedLink
from .services import import_ips


def _reader(request):
    if not allowed(request.user, Can.READ_PERSON):
        raise PermissionDenied(_("Your role cannot see individual records."))


def _current(request, person_id, view):
    person = person_or_404(request, person_id, view)
    if person.merged_into_id:
        person = person_or_404(request, person.merged_into.uuid, view)
    return person


@login_required
def summary_json(request, person_id):
    _reader(request)
    person = _current(request, person_id, "page:ips-export")
    response = HttpResponse(ips.text(ips.bundle(person)), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="ips-{person.uuid}.json"'
    return response


@login_required
def summary_pdf(request, person_id):
    from .printing import FontsMissing
    from .printing import summary_pdf as render_pdf

    _reader(request)
    person = _current(request, person_id, "page:ips-print")
    link_uri = ""
    if link_id := request.GET.get("link", ""):
        if not shl.can_share_links(request.user):  # the QR code opens the link
            raise PermissionDenied(_("Your role cannot share records."))
        link = SharedLink.objects.filter(
            pk=link_id if link_id.isdigit() else 0, person=person
        ).first()
        if link is None or not shl.live(link):
            raise Http404(_("No active link with this number."))
        link_uri = shl.viewer_url(link, shl.base_url(request))
    try:
        pdf = render_pdf(person, clinic_language=get_language(), link_uri=link_uri)
    except FontsMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="summary-{person.uuid}.pdf"'
    return response


@login_required
def links(request, person_id):
    _reader(request)
    person = _current(request, person_id, "page:shl")
    can_share = shl.can_share_links(request.user)
    form = LinkForm(request.POST or None)
    if request.method == "POST":
        if not can_share:
            raise PermissionDenied(_("Your role cannot share records."))
        if form.is_valid():
            try:
                link = shl.create_link(request.user, person.uuid, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Link created. Show the QR code or print it."))
                return redirect(f"{request.path}#link-{link.pk}")
    base = shl.base_url(request)
    shown = []
    for link in shl.links_of(person):
        item = {"link": link, "accesses": list(link.accesses.all()[:10])}
        if shl.live(link) and can_share:  # the address carries the key
            item["url"] = shl.viewer_url(link, base)
            item["qr"] = qr_svg(item["url"])
        shown.append(item)
    context = {
        "person": person,
        "form": form,
        "links": shown,
        "can_share": can_share,
        "consented": shl.sharing_consent(person),
        "can_record_consent": allowed(request.user, Can.WRITE_PERSON),
        "now": timezone.now(),
    }
    return render(request, "portable/links.html", context)


@login_required
@require_POST
def revoke(request, pk):
    _reader(request)
    link = get_object_or_404(SharedLink.objects.select_related("person"), pk=pk)
    person = person_or_404(request, link.person.uuid, "page:shl-revoke")
    shl.revoke(request.user, link)
    messages.success(request, _("Link revoked: it opens nothing any more."))
    return redirect("portable:links", person_id=person.uuid)


@login_required
def import_summary(request):
    if not allowed(request.user, Can.WRITE_PERSON):
        raise PermissionDenied(_("Your role cannot add to people's records."))
    person = None
    if request.GET.get("person") or request.POST.get("person"):
        person = _current(
            request, request.GET.get("person") or request.POST.get("person"), "page:ips-import"
        )
    form = ImportForm(request.POST or None, request.FILES or None, sites=scope_sites(request.user))
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = import_ips(
                request.user,
                form.cleaned_data["file"].read(),
                person_uuid=person.uuid if person else None,
                site=form.cleaned_data["site"] or None,
                source=form.cleaned_data["source"],
            )
        except ValidationError as exc:
            form_errors(form, exc, fallback="file")
    return render(
        request, "portable/import.html", {"form": form, "person": person, "result": result}
    )


def _refused(exc: shl.Refused) -> JsonResponse:
    return JsonResponse(exc.body(), status=exc.status, json_dumps_params={"allow_nan": False})


def _not_allowed(allowed: str, message: str) -> HttpResponse:
    response = HttpResponse(message, status=405, content_type="text/plain; charset=utf-8")
    response["Allow"] = allowed
    return response


def _body(request) -> bytes:
    """The request's body, refused (413) beyond DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        return request.body
    except RequestDataTooBig:
        raise shl.Refused(413, _("The request is too large.")) from None


@csrf_exempt
@never_cache
def manifest(request, manifest_id):
    """The SMART Health Link manifest: POST {"recipient", "passcode", "embeddedLengthMax"}."""
    if request.method != "POST":
        response = _refused(shl.Refused(405, _("Use POST.")))
        response["Allow"] = "POST"
        return response
    try:
        if request.content_type and not shl.is_json(request.content_type):
            raise shl.Refused(415, _("Send the request as application/json."))
        asked = shl.manifest_request(_body(request))
        served = shl.manifest(
            manifest_id,
            passcode=asked.passcode,
            recipient=asked.recipient,
            embedded_max=asked.embedded_max,
            base=shl.base_url(request),
            address=client_address(request),
        )
    except shl.Refused as exc:
        return _refused(exc)
    return JsonResponse(served, json_dumps_params={"allow_nan": False})


@never_cache
def file(request, token):
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET", _("Use GET."))
    try:
        payload = shl.file_payload(token)
    except shl.Refused as exc:
        return _refused(exc)
    return HttpResponse(payload, content_type="application/jose")


@never_cache
def viewer(request):
    """Opens a link (the `#shlink:/…` of the address, put in the form by a small script, or
    pasted) and shows the summary in the reader's language. A link that does not open
    answers with the status the manifest gave (404 no longer active, 401 wrong passcode,
    429 too many), or 400 when it is damaged, with the reason beside the field."""
    if request.method not in ("GET", "POST"):
        return _not_allowed("GET, POST", _("Use GET or POST."))
    status, opened = 200, None
    try:
        data = request.POST if request.method == "POST" else None
    except RequestDataTooBig:
        data, status = {}, 413
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
        data, status = {}, 400
    form = ViewerForm(data)
    if status != 200:
        form.add_error(None, _("The request could not be read: send the form as it is."))
    elif request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            opened = shl.open_link(
                form.cleaned_data["link"],
                passcode=form.cleaned_data["passcode"],
                recipient=_("viewer on this server"),
                address=client_address(request),
            )
        except ValidationError as exc:
            status = 400
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error("link" if field not in form.fields else field, error)
        except shl.Refused as exc:
            status = exc.status
            form.add_error("passcode" if exc.status in (401, 429) else "link", exc.message)
            if exc.remaining is not None:
                form.add_error("passcode", _("%(n)s attempts left.") % {"n": exc.remaining})
    context = {"form": form, "opened": opened}
    if opened:
        context["sections"] = display.sections(opened.document)
        context["patient"] = display.patient(opened.document)
        context["authors"] = display.authors(opened.document)
    return render(request, "portable/viewer.html", context, status=status)
