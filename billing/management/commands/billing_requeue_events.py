from django.core.management.base import BaseCommand

from billing import services
from billing.models import WebhookEvent


class Command(BaseCommand):
    help = "Queue every Stripe webhook event that is not processed yet (pending or failed) again."

    def handle(self, *args, **options):
        events = WebhookEvent.objects.filter(status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED])
        queued = sum(services.webhook_event_requeue(event=event) for event in events.order_by("stripe_created"))
        self.stdout.write(f"{queued} event(s) queued again.")
