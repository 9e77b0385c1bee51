"""URLs of the linkage app (namespace ``linkage``)."""

from django.urls import path

from needle_web.linkage import views

app_name = "linkage"

urlpatterns = [
    path("", views.quality, name="quality"),
    path("review/", views.review, name="review"),
    path("review/decide/", views.decide, name="decide"),
    path("run/", views.run, name="run"),
]
