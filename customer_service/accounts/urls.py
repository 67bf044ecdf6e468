from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/", views.AccountCreateView.as_view(), name="account-create"),
    path("accounts/<id:account_id>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="token-refresh"),
]
