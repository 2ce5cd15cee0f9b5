"""enforce_quota on plain inputs: no database, no billing (plans sit below both)."""

from types import SimpleNamespace

import pytest

from plans.limits import PLANS, limit_for
from plans.quotas import QuotaExceeded, enforce_quota


def _org(plan):
    return SimpleNamespace(plan=plan)


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_one_under_the_limit_passes_and_at_the_limit_is_refused(plan):
    limit = limit_for(plan, "connections")
    if limit is None:
        enforce_quota(organization=_org(plan), resource="connections", used=1_000_000)
        return
    enforce_quota(organization=_org(plan), resource="connections", used=limit - 1)
    with pytest.raises(QuotaExceeded) as refused:
        enforce_quota(organization=_org(plan), resource="connections", used=limit)
    assert refused.value.status_code == 402 and refused.value.code == "quota_exceeded"
    assert refused.value.extra["limit"] == {"resource": "connections", "allowed": limit, "used": limit, "plan": plan}
    assert f"{PLANS[plan]['name']} plan allows {limit} connections" in refused.value.detail


@pytest.mark.parametrize("plan", [None, "", "enterprise-from-the-future"])
def test_no_or_unknown_plan_gets_the_free_limits(plan):
    free = limit_for("free", "projects")
    with pytest.raises(QuotaExceeded) as refused:
        enforce_quota(organization=_org(plan), resource="projects", used=free)
    assert refused.value.extra["limit"]["allowed"] == free
    assert "Free plan" in refused.value.detail
