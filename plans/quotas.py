"""Plan limits, enforced by the services that create what a plan counts.

Each caller counts its own usage and asks before creating one more:

    enforce_quota(organization=org, resource="projects", used=org.projects.count())
"""

from dbooster.errors import PaymentRequired
from plans.limits import PLANS, limit_for


class QuotaExceeded(PaymentRequired):
    code = "quota_exceeded"


def enforce_quota(*, organization, resource: str, used: int, label: str | None = None) -> None:
    """`label` names the limit as a person says it (default: the resource key's words)."""
    plan = organization.plan or "free"
    limit = limit_for(plan, resource)
    if limit is None or used < limit:
        return
    plan_name = PLANS.get(plan, PLANS["free"])["name"]
    raise QuotaExceeded(
        f"Your {plan_name} plan allows {limit} {label or resource.replace('_', ' ')}; "
        f"you have used {used}. Upgrade on the billing page (/app/billing/) to raise the limit.",
        extra={"limit": {"resource": resource, "allowed": limit, "used": used, "plan": plan}},
    )
