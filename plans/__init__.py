"""Plans and their limits: the bottom of the stack, importable by every app.

`plans.limits` says what each plan allows, `plans.quotas.enforce_quota` refuses one more of a counted
thing. Billing sits above: it sells the plans and writes `Organization.plan`.
"""
