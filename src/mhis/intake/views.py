"""Pages of the imports: upload a file, follow its progress, read its report."""

from __future__ import annotations

from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mhis import downloads
from mhis.access.services import scope_sites
from mhis.contracts import form_errors
from mhis.work import queue

from . import fieldforms, readers, runner, services, submissions, tasks
from .forms import UploadForm
from .models import Job, RowResult

SHOWN_ROWS = 200
ROWS_WITHHELD = gettext_lazy(
    "The rows of this import carry migration status: only the person who started it and "
    "roles shown migration status read them."
)


@login_required
def imports(request):
    if not services.can_import(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = _start(request.user, form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc, fallback="file")
        except PermissionDenied as exc:
            form.add_error("what", str(exc))
        else:
            return redirect(target)
    jobs = list(services.visible_jobs(request.user)[:50])
    for job in jobs:
        job.counts = services.summary(job) if job.status != Job.Status.RUNNING else {}
    running = any(j.status == Job.Status.RUNNING for j in jobs)
    if request.htmx and request.GET.get("poll"):
        response = HttpResponse(status=204)
        if not running:
            response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "intake/imports.html",
        {
            "form": form,
            "jobs": jobs,
            "running": running,
            "forms": fieldforms.FORMS.values(),
            "mappings": services.saved_mappings(request.user),
        },
    )


def _start(user, data) -> str:
    """Save the upload and queue its import; a file refused (or failing) before it is queued
    is deleted."""
    path, digest = runner.save_upload(data["file"])
    try:
        return _queue(user, data, path, digest)
    except Exception:
        runner.discard(path, digest)
        raise


def _queue(user, data, path, digest) -> str:
    upload = data["file"]
    what, _sep, name = data["what"].partition(":")
    if what == "kind":
        source = (data["source"] or upload.name.rsplit(".", 1)[0])[:100]
        spec = services.kind_of(name)
        if not spec.allows(user):
            raise PermissionDenied(_("Your role cannot import %(kind)s.") % {"kind": spec.label})
        # Refuse a file too large once unpacked, or one that cannot map, before it is queued.
        services.check_table(path, name, upload.name)
        columns = services.mapping_for(
            user, services.namespace(user), source, name, readers.header(path), data["mapping"]
        )
        job = services.start_job(
            user, kind=name, source=source, file_name=upload.name, digest=digest, columns=columns
        )
        tasks.queue_import(user, job, path)  # unless this file's import is queued or running
        return reverse("intake:job", args=[job.pk])
    if data["mapping"]:
        raise ValidationError(
            {"mapping": _("A field form's submissions are read by the form: give no mapping.")}
        )
    services.check_form(user, name)
    # Refuse an unreadable export, or one not read right (labels, no $expand), before it is queued.
    submissions.check_shape(fieldforms.FORMS[name], submissions.read(path, upload.name))
    tasks.queue_form(user, path, form=name, source=data["source"] or name, file_name=upload.name)
    return reverse("intake:imports")


def _job_or_404(user, pk) -> Job:
    if not services.can_import(user):
        raise PermissionDenied
    return get_object_or_404(services.visible_jobs(user), pk=pk)


@login_required
def job(request, pk):
    job = _job_or_404(request.user, pk)
    running = job.status == Job.Status.RUNNING
    if request.htmx:
        response = render(request, "intake/_progress.html", {"job": job})
        if not running:
            response["HX-Refresh"] = "true"
        return response
    shown = services.rows_shown(request.user, job)
    rejected = (
        job.rows.filter(outcome=RowResult.Outcome.REJECTED) if shown else RowResult.objects.none()
    )
    likely, likely_count = (
        services.likely_rows(request.user, job, SHOWN_ROWS)
        if shown and job.kind == "people"
        else ([], 0)
    )
    labels = dict(RowResult.Outcome.choices)
    counts = [(labels[o], n) for o, n in sorted(services.summary(job).items())]
    state = runner.state(job)  # from the queue, whichever server process asks
    return render(
        request,
        "intake/job.html",
        {
            "job": job,
            "running": running,
            "counts": counts,
            "rejected": rejected[:SHOWN_ROWS],
            "more": max(0, rejected.count() - SHOWN_ROWS),
            "likely": likely,
            "likely_more": max(0, likely_count - len(likely)),
            "rows_withheld": "" if shown else ROWS_WITHHELD,
            "queued": running and state == queue.QUEUED,
            "can_resume": running
            and state in (queue.STOPPED, queue.FINISHED)
            and runner.stored_file(job) is not None
            and services.may_resume(request.user, job),
        },
    )


@login_required
@require_POST
def resume(request, pk):
    job = _job_or_404(request.user, pk)
    path = runner.stored_file(job)
    if job.status != Job.Status.RUNNING or path is None:
        raise Http404
    if not services.may_resume(request.user, job):  # it would fail, and end the job for all
        raise PermissionDenied(_("Your role cannot resume this import."))
    tasks.queue_import(request.user, job, path)  # unless a worker took it over meanwhile
    return redirect("intake:job", pk=job.pk)


@login_required
def rejected_csv(request, pk):
    job = _job_or_404(request.user, pk)
    if not services.rows_shown(request.user, job):
        raise PermissionDenied(ROWS_WITHHELD)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected.csv"'
    writer = downloads.CsvWriter(response)
    writer.writerow(["row", "source_key", "field", "reason"])
    for row in job.rows.filter(outcome=RowResult.Outcome.REJECTED).iterator():
        writer.writerow([row.row, row.source_key, row.field, row.reason])
    return response


@login_required
def field_form(request, form_id):
    if not services.can_import(request.user):
        raise PermissionDenied
    form = fieldforms.FORMS.get(form_id)
    if form is None:
        raise Http404
    out = BytesIO()
    fieldforms.workbook(form, scope_sites(request.user).values_list("code", "name")).save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{form.form_id}.xlsx"'
    return response
