from django.urls import path

from organizations import views

urlpatterns = [
    path("organization/", views.organization_page, name="page-organization"),
    path("organization/create/", views.organization_create, name="page-organization-create"),
    path("organization/rename/", views.organization_rename, name="page-organization-rename"),
    path("organization/members/<int:pk>/role/", views.member_role, name="page-member-role"),
    path("organization/members/<int:pk>/remove/", views.member_remove, name="page-member-remove"),
    path("organization/invitations/", views.invitation_create, name="page-invitation-create"),
    path("organization/invitations/<int:pk>/revoke/", views.invitation_revoke, name="page-invitation-revoke"),
    path("invitations/accept/", views.invitation_accept, name="page-invitation-accept"),
]
