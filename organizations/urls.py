from dbooster.api import api_path
from organizations import api

urlpatterns = [
    api_path("organizations", api.OrganizationListView.as_view(), name="organization-list"),
    api_path("organizations/current", api.OrganizationCurrentView.as_view(), name="organization-current"),
    api_path("organizations/current/members", api.MemberListView.as_view(), name="organization-members"),
    api_path("organizations/current/members/<int:pk>", api.MemberDetailView.as_view(), name="organization-member"),
    api_path("organizations/current/invitations", api.InvitationListView.as_view(), name="organization-invitations"),
    api_path(
        "organizations/current/invitations/<int:pk>",
        api.InvitationDetailView.as_view(),
        name="organization-invitation",
    ),
    api_path("invitations/accept", api.InvitationAcceptView.as_view(), name="invitation-accept"),
]
