"""Permission classes for the ownership rules of the API contract.

A customer touches only their own data; staff and other services may act on any.
"""

from rest_framework.permissions import BasePermission


def is_staff_or_service(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or getattr(user, "is_service", False)))


def is_owner(user, owner_id) -> bool:
    return bool(user and user.is_authenticated and owner_id is not None and str(user.id) == str(owner_id))


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsService(BasePermission):
    message = "Only other services may call this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "is_service", False))


class IsStaffOrService(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        return is_staff_or_service(request.user)


class IsOwnerOrStaff(BasePermission):
    """The object's owner (`owner_field`, default user_id) or staff/services.

    Also checks a `user_id` in the URL, for routes such as /api/carts/{user_id}/.
    """

    message = "This belongs to another user."
    owner_field = "user_id"

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        path_owner = view.kwargs.get("user_id")
        return path_owner is None or is_staff_or_service(request.user) or is_owner(request.user, path_owner)

    def has_object_permission(self, request, view, obj):
        owner_field = getattr(view, "owner_field", self.owner_field)
        return is_staff_or_service(request.user) or is_owner(request.user, getattr(obj, owner_field, None))


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write (catalog data, for example)."""

    message = "Only staff may change this."

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
