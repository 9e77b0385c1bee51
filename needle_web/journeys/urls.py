"""URLs of the journeys app (namespace ``journeys``)."""

from django.urls import path

from needle_web.journeys import views

app_name = "journeys"

urlpatterns = [
    path("", views.home, name="home"),
    path("pathways/", views.pathways, name="pathways"),
    path("referrals/", views.referrals, name="referrals"),
    path("disengagement/", views.disengagement, name="disengagement"),
    path("typical/", views.typical, name="typical"),
    path("timeline/", views.timeline, name="timeline"),
]
