"""URLs of the feedback app (namespace ``feedback``)."""

app_name = "feedback"

urlpatterns: list = []
