"""URLs of the tracker app (namespace ``tracker``)."""

app_name = "tracker"

urlpatterns: list = []
