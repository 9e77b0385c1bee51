"""URLs of the feedback app (namespace ``feedback``)."""

from django.urls import path

from needle_web.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:partner_code>/", views.partner, name="partner"),
]
