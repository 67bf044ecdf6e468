"""Permission classes for the ownership rules of the API contract.

A customer touches only their own data; staff and other services may act on any.

Someone else's object is not there for a customer: it answers the same 404 as an id
that does not exist, so ids cannot be probed (`visible_or_404`, and IsOwnerOrStaff's
object check). 403 is for a route refused to the caller whatever the id (staff-only or
service-only routes, another user's id in a path, a query or a body), whose answer
says nothing about what exists.
"""

from typing import Any, TypeVar

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

T = TypeVar("T")

# A `user` below is request.user: a ClaimsUser once authenticated (the stubs say a Django
# user), an AnonymousUser otherwise.


def is_staff_or_service(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or getattr(user, "is_service", False)))


def is_owner(user: Any, owner_id: object) -> bool:
    return bool(user and user.is_authenticated and owner_id is not None and str(user.id) == str(owner_id))


def may_see(user: Any, owner_id: object) -> bool:
    return is_staff_or_service(user) or is_owner(user, owner_id)


def listed_owner(user: Any, asked: int | None, *, what: str) -> int | None:
    """Whose `what` ("orders") a list shows: a customer's own, whatever they ask for
    another user is a 403 (the route refused, which says nothing about what exists);
    staff and services anyone's, or everyone's when they name no one (None)."""
    if is_staff_or_service(user):
        return asked
    if asked is not None and not is_owner(user, asked):
        raise PermissionDenied(f"You can only list your own {what}.")
    return int(user.id)


def visible_or_404(obj: T | None, *, user: Any, not_found: Exception, owner_field: str = "user_id") -> T:
    """`obj` if it exists and the caller may see it (its owner, staff or a service);
    otherwise `not_found`, the one error for both, e.g.

        order = visible_or_404(
            Order.objects.filter(pk=order_id).first(),
            user=request.user,
            not_found=NotFound(f"There is no order {order_id}.", code=OrderErrorCode.UNKNOWN_ORDER),
        )
    """
    if obj is None or not may_see(user, getattr(obj, owner_field, None)):
        raise not_found
    return obj


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsService(BasePermission):
    message = "Only other services may call this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "is_service", False))


class IsStaffOrService(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_or_service(request.user)


class IsOwnerOrStaff(BasePermission):
    """The object's owner (`owner_field`, default user_id) or staff/services; anyone
    else gets the 404 of a missing object (DRF's "Not found.", as get_object gives).

    Also checks a `user_id` in the URL, for routes such as /api/carts/{user_id}/: another
    user's is a 403, whether or not that user has anything there.
    """

    message = "This belongs to another user."
    owner_field = "user_id"

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        path_owner = view.kwargs.get("user_id")
        return path_owner is None or is_staff_or_service(request.user) or is_owner(request.user, path_owner)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        owner_field = getattr(view, "owner_field", self.owner_field)
        visible_or_404(obj, user=request.user, not_found=NotFound(), owner_field=owner_field)
        return True


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write (catalog data, for example)."""

    message = "Only staff may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
