from rest_framework.permissions import SAFE_METHODS, BasePermission

from dbooster.roles import Role, role_at_least


class OrganizationRole(BasePermission):
    """The signed-in user belongs to an organization and their role allows the method.

    Reads need `view.read_role` (default viewer); writes need `view.write_role`
    (default member). Views set `write_role = Role.ADMIN` for admin-only actions.
    """

    message = "You need to belong to an organization first."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.organization_id is None:
            self.message = "You do not belong to an organization yet: create one or accept an invitation."
            return False
        if request.method in SAFE_METHODS:
            needed = getattr(view, "read_role", Role.VIEWER)
        else:
            needed = getattr(view, "write_role", Role.MEMBER)
        if not role_at_least(user.role, needed):
            self.message = f"Your role ({user.role}) cannot do this; it needs {needed} or above."
            return False
        return True
