from django.urls import path

from common.permissions import IsService, IsStaff, IsStaffOrService
from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401
from tests import views

urlpatterns = [
    *platform_urls(),
    path("whoami/", views.WhoAmIView.as_view()),
    path("items/", views.ItemCreateView.as_view()),
    path("conflict/", views.ConflictView.as_view()),
    path("api-error/", views.ApiErrorView.as_view()),
    path("not-found/", views.NotFoundView.as_view()),
    path("django-permission-denied/", views.DjangoPermissionDeniedView.as_view()),
    path("boom/", views.BoomView.as_view()),
    path("request-id/", views.RequestIdView.as_view()),
    path("client/", views.ClientView.as_view()),
    path("carts/<int:user_id>/", views.UserCartView.as_view()),
    path("staff-only/", views.GuardedView.as_view(permission_classes=[IsStaff])),
    path("service-only/", views.GuardedView.as_view(permission_classes=[IsService])),
    path("staff-or-service/", views.GuardedView.as_view(permission_classes=[IsStaffOrService])),
    path("peer-stock/<int:book_id>/", views.PeerStockView.as_view()),
]
