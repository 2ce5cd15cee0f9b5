"""Plans and the limits DBooster enforces for each (billing sells them). None means unlimited."""

PLANS = {
    "free": {
        "name": "Free",
        "price_usd": 0,
        "limits": {
            "projects": 3,
            "connections": 3,
            "scans_per_month": 20,
            "ai_optimizations_per_month": 25,
            "seats": 3,
        },
    },
    "pro": {
        "name": "Pro",
        "price_usd": 29,
        "limits": {
            "projects": 20,
            "connections": 20,
            "scans_per_month": 500,
            "ai_optimizations_per_month": 1000,
            "seats": 10,
        },
    },
    "team": {
        "name": "Team",
        "price_usd": 99,
        "limits": {
            "projects": None,
            "connections": None,
            "scans_per_month": None,
            "ai_optimizations_per_month": 10000,
            "seats": 50,
        },
    },
}


def limit_for(plan: str, resource: str) -> int | None:
    return PLANS.get(plan, PLANS["free"])["limits"][resource]
