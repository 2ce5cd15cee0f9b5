"""The home page (/app/) and a project's page: where the user stands and what to do next."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import oauth
from approvals import selectors as approval_selectors
from dashboard import selectors
from dbooster.errors import DomainError, NotFound
from dbooster.roles import Role
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from projects import services as project_services
from schema_metadata import plan as plan_analyser
from schema_metadata import services as schema_services
from schema_metadata import views as schema_views


def _project_context(project) -> dict:
    return {
        "project": project,
        "steps": selectors.checklist(project),
        "measured": selectors.measured_queries(project),
        "findings": selectors.open_findings(project),
        "approvals": selectors.pending_approvals(project),
        "connection_summaries": selectors.connection_summaries(project),
    }


@role_required(needs_organization=False)
def home(request):
    """Something measured for the current project; without an organization or project, the first step."""
    context: dict = {}
    if request.user.organization_id:
        projects = list(project_selectors.project_list(org=request.user.organization)[:20])
        current = project_selectors.current_project(user=request.user)
        context.update(projects=projects, current=current)
        if projects:
            context["dashboard"] = selectors.dashboard(org=request.user.organization)
        if current is not None:
            context.update(_project_context(current))
    return render(request, "dashboard/home.html", context)


@role_required(Role.VIEWER)
def project_page(request, pk):
    """A project's checklist and measurements; opening it makes it the user's current project."""
    try:
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "project")
    project_services.set_current_project(user=request.user, project=project)
    return render(request, "dashboard/project.html", _project_context(project))


@role_required(Role.VIEWER)
def explain_entry(request):
    """The Explain menu item: the current project's explain page, or the projects to choose from."""
    current = project_selectors.current_project(user=request.user)
    if current is not None:
        return redirect(f"/app/projects/{current.pk}/explain/")
    return redirect("/app/projects/?next=explain")


@role_required(Role.VIEWER)
def health_entry(request):
    """The Health menu item: the current project's health page, or the projects to choose from."""
    current = project_selectors.current_project(user=request.user)
    if current is not None:
        return redirect(f"/app/projects/{current.pk}/health/")
    return redirect("/app/projects/?next=health")


def _summary_before(proposal, after) -> dict | None:
    """The query's plan from before the change: its last analysis on that connection before the change was
    applied (measured, with times), else the plan the optimizer planned when it suggested the change."""
    earlier = selectors.analysis_before_change(proposal=proposal, fingerprint=after.fingerprint, exclude=after.pk)
    if earlier is not None:
        return earlier.summary
    suggestion = proposal.source_suggestion
    run = suggestion.run if suggestion is not None else None
    if run is None or not run.plan_before:
        return None
    return plan_analyser.summarize([run.plan_before] if isinstance(run.plan_before, dict) else run.plan_before)


@require_POST
@role_required(Role.MEMBER)
def measure_again(request, pk):
    """After a change is applied: run its query again and show the new plan beside the one from before."""
    try:
        proposal = approval_selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
    except DomainError:
        return not_found(request, "proposal")
    query = (proposal.evidence or {}).get("query") or proposal.original_query
    if not query or proposal.connection is None or proposal.project is None:
        messages.error(request, "This change has no query and database to measure again.")
        return redirect(f"/app/approvals/{proposal.pk}/")
    try:
        analysis = schema_services.explain_query(
            project=proposal.project,
            connection_id=proposal.connection_id,
            query=query,
            analyze=proposal.connection.allow_analyze,
            actor=request.user,
            request=request,
        )
    except DomainError as exc:
        messages.error(request, f"The query could not be measured again: {exc.detail}")
        return redirect(f"/app/approvals/{proposal.pk}/")
    before = _summary_before(proposal, analysis)
    context = {
        "proposal": proposal,
        "analysis": analysis,
        "project": proposal.project,
        **schema_views.plan_context(analysis.summary, analysis.plan),
        "summary": analysis.summary,
    }
    if before is not None:
        context["comparison"] = schema_views.comparison_context(before, analysis.summary)
    return render(request, "dashboard/measure.html", context)


# What each outside service needs from the operator, in words; the setting names are shown to staff only.
SERVICES = {
    "google": ("Google sign-in", "an OAuth client ID and secret from the Google Cloud console",
               ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"), "Sign in with a Google account."),
    "github": ("GitHub", "an OAuth app's client ID and secret from GitHub's developer settings",
               ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
               "Sign in with GitHub, list your repositories and scan private ones."),
    "stripe": ("Payments (Stripe)", "a Stripe secret key, the webhook signing secret and the price of each plan",
               ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_PRO", "STRIPE_PRICE_TEAM"),
               "Upgrade the organization's plan and manage invoices."),
}  # fmt: skip


def _service_configured(service: str) -> bool:
    if service == "stripe":
        return bool(settings.STRIPE_SECRET_KEY)
    return oauth.is_configured(service)


def setup_page(request, service: str):
    """What an unconfigured outside service needs: in words for everyone, the setting names for staff."""
    if service not in SERVICES:
        return not_found(request, "page")
    title, needs, names, gives = SERVICES[service]
    context = {
        "service": service,
        "title": title,
        "needs": needs,
        "gives": gives,
        "configured": _service_configured(service),
        "setting_names": names if getattr(request.user, "is_staff", False) else (),
    }
    return render(request, "dashboard/setup.html", context, status=200 if context["configured"] else 503)
