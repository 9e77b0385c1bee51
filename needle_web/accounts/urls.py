"""URLs of the accounts app (namespace ``accounts``)."""

from django.urls import path

from needle_web.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitation/<str:token>/", views.invitation_open, name="invitation_open"),
    path("two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/invite/", views.invitation_new, name="invitation_new"),
    path(
        "accounts/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "accounts/<int:account_id>/deactivate/",
        views.account_deactivate,
        name="account_deactivate",
    ),
]
