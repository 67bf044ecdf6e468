"""Who may do what: route rules as permission classes, ownership as functions of a Caller.

Two layers, each for one question. "May this caller use this route at all, whatever
the id?" (staff only, services only, your own user id in the path) is a permission
class on the view, and its refusal is a 403 that says nothing about what exists.
"Which objects does this caller see or change?" is decided where the data is read
or written, by selectors and services given a `Caller` (common.auth), with
`listed_owner` and `visible_or_404` below; views never compare owners.

Someone else's object is not there for a customer: it answers the same 404 as an id
that does not exist, so ids cannot be probed.
"""

from typing import Any, TypeVar

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from common.auth import Caller

T = TypeVar("T")

# A `user` below is request.user: a ClaimsUser once authenticated (the stubs say a Django
# user), an AnonymousUser otherwise.


def is_staff_or_service(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or getattr(user, "is_service", False)))


def listed_owner(caller: Caller, asked: int | None, *, what: str) -> int | None:
    """Whose `what` ("orders") a list shows: a customer's own, whatever they ask for
    another user is a 403 (the route refused, which says nothing about what exists);
    staff and services anyone's, or everyone's when they name no one (None)."""
    if caller.is_privileged:
        return asked
    if asked is not None and not caller.owns(asked):
        raise PermissionDenied(f"You can only list your own {what}.")
    return caller.user_id


def visible_or_404(obj: T | None, *, caller: Caller, not_found: Exception, owner_field: str = "user_id") -> T:
    """`obj` if it exists and the caller may see it (its owner, staff or a service);
    otherwise `not_found`, the one error for both, e.g.

        order = visible_or_404(
            order_list().filter(pk=order_id).first(),
            caller=caller,
            not_found=NotFound(f"There is no order {order_id}.", code=OrderErrorCode.UNKNOWN_ORDER),
        )
    """
    if obj is None or not caller.may_see(getattr(obj, owner_field, None)):
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


class IsOwnUserIdOrStaff(BasePermission):
    """For routes with a `user_id` in the path, such as /api/carts/{user_id}/: another
    user's is a 403 for a customer, whether or not that user has anything there."""

    message = "This belongs to another user."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        path_owner = view.kwargs.get("user_id")
        return path_owner is None or Caller.of(request.user).may_see(path_owner)


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write (catalog data, for example)."""

    message = "Only staff may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
