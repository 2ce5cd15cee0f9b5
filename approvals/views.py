"""Server-rendered pages: the approvals inbox, a proposal, its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST

from approvals import api, selectors, services
from approvals.models import Proposal
from dbooster.errors import DomainError, InvalidInput
from dbooster.page_utils import local_path, page_of
from dbooster.roles import Role, is_org_admin, role_at_least
from projects.models import Project
from schema_metadata.models import DatabaseConnection

_PAGE_ACTIONS = {
    "approve": services.proposal_approve,
    "reject": services.proposal_reject,
    "withdraw": services.proposal_withdraw,
    "apply": services.proposal_apply,
}


def _connections_of(org):
    return (
        DatabaseConnection.objects.filter(project__organization=org)
        .select_related("project")
        .order_by("project__name", "name")
    )


@login_required
def approval_list(request):
    if request.user.organization_id is None:
        return HttpResponseRedirect("/app/")
    org = request.user.organization
    filters = {k: request.GET.get(k, "") for k in selectors.PROPOSAL_FILTERS}
    if "state" not in request.GET:
        filters["state"] = "proposed,approved"  # the inbox: what still needs someone
    error = ""
    try:
        items = selectors.proposals(org=org, user=request.user, filters=filters)
    except DomainError as exc:
        error, items = exc.detail, selectors.proposals(org=org, user=request.user)
    return render(
        request,
        "approvals/approvals.html",
        {
            "page": page_of(request, items),
            "filters": filters,
            "error": error,
            "states": [("proposed,approved", "open"), *[(s, s) for s in Proposal.State.values], ("", "all")],
            "kinds": Proposal.Kind.choices,
            "projects": Project.objects.filter(organization=org).order_by("name"),
            "connections": _connections_of(org),
            "can_submit": role_at_least(request.user.role, Role.MEMBER),
            "is_admin": is_org_admin(request.user),
        },
    )


@login_required
@require_POST
def approval_submit(request):
    if request.user.organization_id is None:
        return HttpResponseRedirect("/app/")
    if request.POST.get("suggestion_id"):
        return _submit_suggestion(request)
    try:
        connection_id = int(request.POST["connection_id"]) if request.POST.get("connection_id") else None
        proposal = services.proposal_submit_sql(
            actor=request.user,
            kind=request.POST.get("kind") or Proposal.Kind.DDL,
            sql=request.POST.get("sql", ""),
            reason=request.POST.get("reason", ""),
            connection_id=connection_id,
            row_limit=_row_limit(request.POST.get("row_limit", "")),
            request=request,
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "detail", None) or "Choose a connection from the list.")
        return HttpResponseRedirect("/app/approvals/")
    messages.success(request, "Proposal submitted: the admins are asked to approve it.")
    return HttpResponseRedirect(f"/app/approvals/{proposal.pk}/")


def _row_limit(text: str) -> int | None:
    """The form's row limit: empty is the default (None); anything but a whole number is refused by name."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():  # the service checks the bounds: at least 1, and within reach of the estimate
        raise InvalidInput("row_limit: give a whole number of rows, or leave it empty.", code="invalid_row_limit")
    return int(text)


def _submit_suggestion(request):
    """The optimizer page's "Submit for approval": an index or a rewrite it suggested."""
    try:
        proposal = services.proposal_submit_suggestion(
            actor=request.user,
            suggestion_id=int(request.POST["suggestion_id"]),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValueError:
        messages.error(request, "That is not a suggestion.")
        return HttpResponseRedirect("/app/approvals/")
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.detail) from None
        messages.error(request, exc.detail)
        back = local_path(request.POST.get("next", ""))
        return HttpResponseRedirect(back or "/app/approvals/")
    messages.success(request, "Proposal submitted: the admins are asked to approve it.")
    return HttpResponseRedirect(f"/app/approvals/{proposal.pk}/")


@login_required
def approval_detail(request, pk):
    if request.user.organization_id is None:
        return HttpResponseRedirect("/app/")
    try:
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
    except DomainError:
        raise Http404("Proposal not found.") from None
    evidence = [
        (_evidence_label(k), filesizeformat(v) if k == "size_bytes" else _evidence_value(v), _evidence_link(k, v))
        for k, v in (proposal.evidence or {}).items()
        if k not in ("query", "plan")  # a data change's plan is read on its analysis page (analysis_id links it)
    ]
    attempts = list(proposal.attempts.all())
    applying = next((a for a in attempts if a.status in _APPLYING), None)
    can = api.actions_for(request.user, proposal)
    if applying is not None:
        # While the database works on it the page follows the apply; deciding again waits for its outcome.
        can = {**can, "apply": False, "approve": False, "reject": False, "withdraw": False}
    return render(
        request,
        "approvals/approval_detail.html",
        {
            "proposal": proposal,
            "events": proposal.events.all(),
            "attempts": attempts,
            "applying": applying,
            "evidence": evidence,
            "row_cap": _row_cap(proposal),
            "review": proposal.safety_review or None,
            "can": can,
            "export_formats": services.EXPORT_FORMATS[proposal.kind],
        },
    )


_APPLYING = ("queued", "running")


def _row_cap(proposal) -> dict | None:
    """A data change's row limit and, once applied, the rows it changed beside the plan's estimate."""
    if proposal.kind != proposal.Kind.DATA or proposal.row_limit is None:
        return None
    estimate = (proposal.evidence or {}).get("estimated_rows")
    estimated = "unknown" if estimate is None else f"{estimate:,}"
    result = None
    if proposal.rows_changed is not None:
        result = f"changed {proposal.rows_changed:,} rows (estimated {estimated})"
    return {"limit": f"{proposal.row_limit:,}", "estimated": estimated, "result": result}


def _evidence_label(key: str) -> str:
    return key.replace("_", " ").replace(" ms", " (ms)")


def _evidence_link(key: str, value) -> str | None:
    """Ids in the evidence are links to what they name."""
    if key == "optimization_run_id" and isinstance(value, int):
        return f"/app/optimize/{value}/"
    if key == "rule_id" and isinstance(value, str):
        return f"/app/rules/{value}/"
    if key == "analysis_id" and isinstance(value, int):
        return f"/app/analyses/{value}/"
    return None


def _evidence_value(value):
    """Numbers with separators, booleans as words: what a person reads, not Python's repr."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value


@login_required
def approval_status(request, pk):
    """The proposal's apply state for the page that polls it: {"text", "final"}."""
    if request.user.organization_id is None:
        raise Http404("Not found.")
    try:
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
    except DomainError:
        raise Http404("Proposal not found.") from None
    attempt = proposal.attempts.order_by("-id").first()
    applying = attempt is not None and attempt.status in _APPLYING
    text = f"Applying: {attempt.status}…" if applying else proposal.get_state_display()
    return JsonResponse({"state": proposal.state, "text": text, "final": not applying})


@login_required
@require_POST
def approval_action(request, pk, action):
    if request.user.organization_id is None or action not in _PAGE_ACTIONS:
        raise Http404("Not found.")
    try:
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
        _PAGE_ACTIONS[action](
            proposal=proposal, actor=request.user, comment=request.POST.get("comment", ""), request=request
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.detail) from None
        messages.error(request, exc.detail)
    else:
        done = {
            "approve": "Approved.",
            "reject": "Rejected.",
            "withdraw": "Withdrawn.",
            "apply": "Queued: the worker applies it now.",
        }
        messages.success(request, done[action])
    return HttpResponseRedirect(f"/app/approvals/{pk}/")


def migration_rule_index(request):
    return render(request, "approvals/migration_rules.html", {"rules": selectors.migration_rules()})


def migration_rule_detail(request, rule_id: str):
    rule = selectors.migration_rule(rule_id)
    if rule is None:
        raise Http404(f"No migration-safety rule {rule_id!r}.")
    return render(request, "approvals/migration_rule.html", {"rule": rule})
