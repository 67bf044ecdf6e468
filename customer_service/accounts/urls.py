from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/", views.AccountsView.as_view(), name="accounts"),
    path("accounts/<id:account_id>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("auth/password-reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("auth/verify-email/", views.EmailVerifyView.as_view(), name="email-verify"),
    path("auth/verify-email/resend/", views.EmailVerificationResendView.as_view(), name="email-verify-resend"),
]
