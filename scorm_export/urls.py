app_name = "scorm_export"
urlpatterns: list = []
