from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    """The bell in the top bar: a link to the notifications page with the unread count."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    count = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"unread": count, "authenticated": bool(user and user.is_authenticated)}
