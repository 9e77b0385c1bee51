"""URLs of the initiative app (namespace ``initiative``)."""

app_name = "initiative"

urlpatterns: list = []
