from django.contrib import admin, messages

from billing import services
from billing.models import BillingCustomer, PaymentHistory, Subscription, UserPaymentDetails, WebhookEvent


@admin.register(BillingCustomer)
class BillingCustomerAdmin(admin.ModelAdmin):
    list_display = ["organization", "stripe_customer_id", "created_by", "created_at"]
    search_fields = ["organization__name", "stripe_customer_id", "created_by__email"]
    raw_id_fields = ["organization", "created_by"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organization", "plan", "status", "cancel_at_period_end", "current_period_end", "state_at"]
    list_filter = ["plan", "status"]
    search_fields = ["organization__name", "stripe_subscription_id", "stripe_customer_id"]
    raw_id_fields = ["organization"]
    # Stripe owns this state; the webhooks keep it in step.
    readonly_fields = ["state_at", "created_at", "updated_at"]


@admin.register(PaymentHistory)
class PaymentHistoryAdmin(admin.ModelAdmin):
    list_display = ["paid_at", "organization", "user", "amount", "currency", "status", "stripe_invoice_id"]
    list_filter = ["status", "currency"]
    search_fields = ["organization__name", "user__email", "stripe_invoice_id"]
    raw_id_fields = ["organization", "user"]
    date_hierarchy = "paid_at"


@admin.register(UserPaymentDetails)
class UserPaymentDetailsAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "payment_identifier", "created_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "payment_identifier"]
    raw_id_fields = ["user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "status", "attempts", "stripe_created", "received_at", "note"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Queue the selected pending/failed events again")
    def requeue(self, request, queryset):
        queued = sum(services.webhook_event_requeue(event=e, actor=request.user) for e in queryset)
        self.message_user(request, f"{queued} event(s) queued again.", messages.SUCCESS)
